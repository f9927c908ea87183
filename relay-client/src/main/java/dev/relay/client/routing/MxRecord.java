package dev.relay.client.routing;

/** One MX record (RFC 5321 section 5.1): lower preference is tried first. */
public record MxRecord(int preference, String exchange) {
}
