package dev.relay.dist.ops;

import java.util.ArrayList;
import java.util.List;

/** The outcome of running every {@link HealthCheck}: up only when all are up. */
public record Health(boolean up, List<Entry> entries) {

    /** One check's outcome. */
    public record Entry(String name, HealthCheck.Result result) {
    }

    /** Runs each check; a check that throws counts as down with its message. */
    public static Health run(List<HealthCheck> checks) {
        List<Entry> entries = new ArrayList<>();
        boolean up = true;
        for (HealthCheck c : checks) {
            HealthCheck.Result r;
            try {
                r = c.check();
            } catch (RuntimeException e) {
                r = HealthCheck.Result.down(String.valueOf(e.getMessage()));
            }
            up &= r.up();
            entries.add(new Entry(c.name(), r));
        }
        return new Health(up, List.copyOf(entries));
    }

    /** {@code {"status":"up","checks":{"queue":{"status":"up","detail":"..."}}}}. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"status\":\"").append(up ? "up" : "down").append("\",\"checks\":{");
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (i > 0) {
                b.append(',');
            }
            b.append(Json.string(e.name())).append(":{\"status\":\"").append(e.result().up() ? "up" : "down")
                    .append("\",\"detail\":").append(Json.string(e.result().detail())).append('}');
        }
        return b.append("}}\n").toString();
    }
}
