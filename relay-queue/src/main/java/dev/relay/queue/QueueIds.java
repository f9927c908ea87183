package dev.relay.queue;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generates queue ids like Postfix's long queue ids: 12 upper-case base-36 characters, the first
 * ten a time stamp in 1/1296 millisecond ticks (strictly increasing within a process, so ids of
 * one process never repeat and sort by creation time), the last two random (so that two processes
 * sharing a queue, or a process restarted with the clock set back, do not collide in practice; the
 * primary key of the queue catches the rest). Example: {@code 0MHX3K9Q2B7Z}.
 */
final class QueueIds {
    private static final String DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final int TICKS_PER_MILLI = 36 * 36;
    private static final int TIME_CHARS = 10;
    private static final int RANDOM_CHARS = 2;
    private static final AtomicLong LAST_TICK = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();

    private QueueIds() {
    }

    static QueueId next() {
        long now = System.currentTimeMillis() * TICKS_PER_MILLI;
        long tick = LAST_TICK.accumulateAndGet(now, (last, n) -> Math.max(last + 1, n));
        char[] c = new char[TIME_CHARS + RANDOM_CHARS];
        long t = tick;
        for (int i = TIME_CHARS - 1; i >= 0; i--) {
            c[i] = DIGITS.charAt((int) (t % 36));
            t /= 36;
        }
        int r = RANDOM.nextInt(36 * 36);
        c[TIME_CHARS] = DIGITS.charAt(r / 36);
        c[TIME_CHARS + 1] = DIGITS.charAt(r % 36);
        return new QueueId(new String(c));
    }
}
