package dev.relay.client.routing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link Dns} on Netty's DNS resolver: raw MX, A and AAAA queries to one configured server (tests
 * run a tiny server on loopback) or to the servers of {@code /etc/resolv.conf}. The answer code
 * decides the error: NXDOMAIN is {@link DnsException.Kind#NOT_FOUND}, anything else that is not
 * NOERROR, and every timeout, is {@link DnsException.Kind#TEMPORARY}. The hosts file is not
 * consulted: mail routing follows DNS, as Postfix's smtp client does by default.
 */
public final class NettyDns implements Dns {

    private final EventLoopGroup group;
    private final DnsNameResolver resolver;
    private final long timeoutMillis;

    /**
     * @param server  the DNS server to ask, or null for the system's ({@code /etc/resolv.conf})
     * @param timeout the time one query may take
     */
    public NettyDns(InetSocketAddress server, Duration timeout) {
        this.timeoutMillis = timeout.toMillis();
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        DnsServerAddressStreamProvider servers = server == null
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SingletonDnsServerAddressStreamProvider(server);
        this.resolver = new DnsNameResolverBuilder(group.next())
                .datagramChannelType(NioDatagramChannel.class)
                .nameServerProvider(servers)
                .queryTimeoutMillis(timeoutMillis)
                .recursionDesired(true)
                .hostsFileEntriesResolver((name, types) -> null)
                .build();
    }

    @Override
    public List<MxRecord> mx(String domain) throws DnsException {
        List<MxRecord> out = new ArrayList<>();
        query(domain, DnsRecordType.MX, content -> {
            int pref = content.readUnsignedShort();
            String exchange = Domains.normalize(DefaultDnsRecordDecoder.decodeName(content));
            out.add(new MxRecord(pref, exchange));
        });
        return out;
    }

    @Override
    public List<InetAddress> addresses(String host) throws DnsException {
        List<InetAddress> out = new ArrayList<>();
        RecordReader toAddress = content -> {
            byte[] b = new byte[content.readableBytes()];
            content.readBytes(b);
            try {
                out.add(InetAddress.getByAddress(host, b));
            } catch (UnknownHostException e) {
                // wrong length: ignore the record, as a resolver would
            }
        };
        query(host, DnsRecordType.A, toAddress);
        query(host, DnsRecordType.AAAA, toAddress);
        return out;
    }

    private interface RecordReader {
        void read(ByteBuf content);
    }

    private void query(String name, DnsRecordType type, RecordReader reader) throws DnsException {
        String what = name + " type=" + type.name();
        Future<AddressedEnvelope<DnsResponse, InetSocketAddress>> f =
                resolver.query(new DefaultDnsQuestion(name, type));
        AddressedEnvelope<DnsResponse, InetSocketAddress> envelope;
        try {
            envelope = f.get(timeoutMillis * 3 + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DnsException(DnsException.Kind.TEMPORARY, "DNS lookup of " + what + " interrupted", e);
        } catch (ExecutionException e) {
            throw new DnsException(DnsException.Kind.TEMPORARY, "DNS lookup of " + what + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new DnsException(DnsException.Kind.TEMPORARY, "DNS lookup of " + what + " timed out", e);
        }
        try {
            DnsResponse r = envelope.content();
            if (r.code() == DnsResponseCode.NXDOMAIN) {
                throw new DnsException(DnsException.Kind.NOT_FOUND, "Host not found: " + what, null);
            }
            if (r.code() != DnsResponseCode.NOERROR) {
                throw new DnsException(DnsException.Kind.TEMPORARY, "DNS lookup of " + what + ": " + r.code(), null);
            }
            int n = r.count(DnsSection.ANSWER);
            for (int i = 0; i < n; i++) {
                DnsRecord rec = r.recordAt(DnsSection.ANSWER, i);
                if (rec.type() == type && rec instanceof DnsRawRecord raw) {
                    // The content is a duplicate of the whole packet with its indexes set: name
                    // compression pointers resolve against the packet.
                    ByteBuf content = raw.content().duplicate();
                    try {
                        reader.read(content);
                    } catch (RuntimeException e) {
                        // a malformed record: skip it
                    }
                }
            }
        } finally {
            envelope.release();
        }
    }

    @Override
    public void close() {
        resolver.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
