package dev.relay.client.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny authoritative DNS server on loopback UDP for tests, built on Netty's DNS codec: MX, A and
 * AAAA answers from maps, NXDOMAIN for unknown names, SERVFAIL or silence for chosen names.
 */
public final class TestDnsServer implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    private final Map<String, List<Object[]>> mx = new ConcurrentHashMap<>();
    private final Map<String, List<InetAddress>> addresses = new ConcurrentHashMap<>();
    private final Set<String> servfail = ConcurrentHashMap.newKeySet();
    private final Set<String> silent = ConcurrentHashMap.newKeySet();
    private final Set<String> existing = ConcurrentHashMap.newKeySet();
    private final AtomicInteger queries = new AtomicInteger();

    public TestDnsServer() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) {
                                        answer(ctx, q);
                                    }
                                });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int queries() {
        return queries.get();
    }

    public TestDnsServer mx(String domain, int preference, String exchange) {
        mx.computeIfAbsent(key(domain), k -> new ArrayList<>()).add(new Object[] {preference, exchange});
        existing.add(key(domain));
        return this;
    }

    public TestDnsServer a(String host, String... ips) throws Exception {
        for (String ip : ips) {
            addresses.computeIfAbsent(key(host), k -> new ArrayList<>()).add(InetAddress.getByName(ip));
        }
        existing.add(key(host));
        return this;
    }

    /** The name exists but has no records of any type asked. */
    public TestDnsServer exists(String name) {
        existing.add(key(name));
        return this;
    }

    public TestDnsServer servfail(String name) {
        servfail.add(key(name));
        return this;
    }

    public TestDnsServer silent(String name) {
        silent.add(key(name));
        return this;
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private void answer(ChannelHandlerContext ctx, DatagramDnsQuery q) {
        queries.incrementAndGet();
        DnsQuestion question = q.recordAt(DnsSection.QUESTION);
        String name = key(question.name());
        if (silent.contains(name)) {
            return;
        }
        DatagramDnsResponse r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
        r.addRecord(DnsSection.QUESTION, question);
        r.setRecursionAvailable(true);
        if (servfail.contains(name)) {
            r.setCode(DnsResponseCode.SERVFAIL);
        } else if (!existing.contains(name)) {
            r.setCode(DnsResponseCode.NXDOMAIN);
        } else if (question.type() == DnsRecordType.MX) {
            for (Object[] m : mx.getOrDefault(name, List.of())) {
                ByteBuf c = Unpooled.buffer();
                c.writeShort((Integer) m[0]);
                writeName(c, (String) m[1]);
                r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.MX, 60, c));
            }
        } else if (question.type() == DnsRecordType.A || question.type() == DnsRecordType.AAAA) {
            int len = question.type() == DnsRecordType.A ? 4 : 16;
            for (InetAddress a : addresses.getOrDefault(name, List.of())) {
                if (a.getAddress().length == len) {
                    r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(), 60,
                            Unpooled.wrappedBuffer(a.getAddress())));
                }
            }
        }
        ctx.writeAndFlush(r);
    }

    private static void writeName(ByteBuf b, String name) {
        for (String label : key(name).split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            b.writeByte(l.length).writeBytes(l);
        }
        b.writeByte(0);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
