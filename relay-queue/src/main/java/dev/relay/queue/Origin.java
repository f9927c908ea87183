package dev.relay.queue;

import java.time.Instant;

/**
 * Where a message came from.
 *
 * @param clientAddress the client's IP address as text (no port), e.g. {@code 192.0.2.7} or {@code 2001:db8::7}
 * @param heloName      the EHLO/HELO argument as received
 * @param authUser      the authenticated user (RFC 4954), or null
 * @param arrival       when the end of data was received
 * @param protocol      {@code SMTP}, {@code ESMTP}, {@code ESMTPS}, {@code ESMTPA} or {@code ESMTPSA}
 */
public record Origin(String clientAddress, String heloName, String authUser, Instant arrival, String protocol) {
}
