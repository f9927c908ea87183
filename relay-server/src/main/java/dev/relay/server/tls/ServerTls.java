package dev.relay.server.tls;

import dev.relay.server.session.HandlerNames;
import dev.relay.server.session.SmtpSession;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;

/**
 * The receiver's TLS (RFC 3207 STARTTLS and RFC 8314 implicit TLS): one {@link SslContext} built from {@link TlsSettings}
 * and the two ways a connection gets an {@link SslHandler}: after STARTTLS (RFC 3207, the 220 goes
 * out in clear, everything after it is encrypted) and from the first byte on an implicit-TLS
 * listener (RFC 8314, port 465).
 *
 * <p>The handler goes first in the pipeline under {@link HandlerNames#TLS}; right behind it sits a
 * small handler ({@link #EVENTS}) that marks the session as encrypted once the handshake
 * succeeded, logs one line per handshake (Postfix's "Anonymous TLS connection established" and
 * "SSL_accept error" lines), and turns handshake errors into that one line and a close, instead
 * of a stack trace: a client that speaks clear text after STARTTLS, or an old TLS version, is
 * expected hostile or broken input, not a server error.
 */
public final class ServerTls {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    /** The name of the handshake-events handler right behind the SslHandler. */
    public static final String EVENTS = "tls-events";

    private final TlsSettings settings;
    private final SslContext context;

    ServerTls(TlsSettings settings, SslContext context) {
        this.settings = settings;
        this.context = context;
    }

    /**
     * Builds the server context for {@code settings} (creating the self-signed certificate on
     * first use when no PEM files are configured).
     *
     * @throws IOException naming the certificate or key file that cannot be used
     */
    public static ServerTls create(TlsSettings settings, Clock clock) throws IOException {
        return new ServerTls(settings, ServerSslContexts.build(settings, clock));
    }

    /** The settings. */
    public TlsSettings settings() {
        return settings;
    }

    /**
     * Puts TLS in front of {@code ch}'s pipeline. With {@code startTls} the first write (the 220
     * reply to STARTTLS) still goes out in clear, as RFC 3207 section 4 requires.
     */
    public void install(Channel ch, boolean startTls) {
        SslHandler ssl = new SslHandler(context.newEngine(ch.alloc()), startTls);
        ssl.setHandshakeTimeoutMillis(settings.handshakeTimeout().toMillis());
        ChannelPipeline p = ch.pipeline();
        p.addFirst(EVENTS, new HandshakeEvents());
        p.addFirst(HandlerNames.TLS, ssl);
    }

    /** For the implicit-TLS listener (RFC 8314): TLS from the first byte, the greeting sent encrypted. */
    public void installImplicit(Channel ch) {
        install(ch, false);
    }

    /** Whether {@code ch} is encrypted or in its TLS handshake. */
    public static boolean hasTls(Channel ch) {
        return ch.pipeline().get(HandlerNames.TLS) != null;
    }

    /** Marks the session encrypted after the handshake; one log line for success or failure. */
    private static final class HandshakeEvents extends ChannelInboundHandlerAdapter {
        private boolean failed;
        private boolean established;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (e.isSuccess()) {
                    established = true;
                    SmtpSession session = ctx.pipeline().get(SmtpSession.class);
                    if (session != null && session.connection() != null) {
                        session.connection().tlsActive(true);
                    }
                    SslHandler ssl = (SslHandler) ctx.pipeline().get(HandlerNames.TLS);
                    SSLSession s = ssl == null ? null : ssl.engine().getSession();
                    if (s != null) {
                        LOG.info("Anonymous TLS connection established from {}: {} with cipher {}",
                                client(ctx), s.getProtocol(), s.getCipherSuite());
                    }
                } else {
                    handshakeFailed(ctx, e.cause());
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (root instanceof SSLException || cause instanceof NotSslRecordException) {
                handshakeFailed(ctx, root);
                ctx.close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }

        private void handshakeFailed(ChannelHandlerContext ctx, Throwable cause) {
            if (failed) {
                return;
            }
            failed = true;
            String why = cause == null ? "unknown" : cause.getMessage() == null ? cause.getClass().getSimpleName()
                    : cause.getMessage();
            if (why.length() > 200) {
                why = why.substring(0, 200) + "...";
            }
            LOG.info(established ? "TLS error with {}: {}" : "TLS handshake failed with {}: {}", client(ctx), why);
        }

        private static String client(ChannelHandlerContext ctx) {
            return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                    ? "unknown[" + io.netty.util.NetUtil.toAddressString(a.getAddress()) + "]"
                    : String.valueOf(ctx.channel().remoteAddress());
        }
    }
}
