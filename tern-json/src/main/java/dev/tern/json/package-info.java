/**
 * A small strict JSON reader and writer (RFC 8259), bounded in size and depth: {@link dev.tern.json.Json} parses
 * into {@link dev.tern.json.JsonValue}s, {@link dev.tern.json.JsonWriter} writes them back compactly. It carries the
 * vfio-user VERSION capabilities (specification "VFIO_USER_VERSION") and Tern's machine-readable reports.
 */
package dev.tern.json;
