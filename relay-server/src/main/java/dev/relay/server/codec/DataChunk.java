package dev.relay.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A piece of message content from {@link ContentDecoder}: unstuffed, with CRLF line ends. The
 * receiver of a chunk owns it and must release it.
 */
public final class DataChunk extends DefaultByteBufHolder {
    public DataChunk(ByteBuf content) {
        super(content);
    }
}
