/**
 * The migration stream format: what travels from source to destination (and back on the control connection),
 * independent of sockets and TLS.
 * <pre>
 *  connection := Preamble record*
 *  record     := header(16) payload(length) CRC32C(4)          see RecordCodec
 *
 *  send:    RecordWriter.write(kind, device, parts...) --&gt; one gathering write per record
 *  receive: channel --&gt; RecordReader.read() --&gt; Record   (verified)  | EOFException (clean end)
 *                                                                   | CorruptStreamException (one line, #seq)
 * </pre>
 * Every corruption the format can see (checksum, sequence, kind, flags, length, truncation) is an exception
 * naming the record's sequence number; a record is handed on only after all checks pass.
 */
package dev.tern.migration.wire;
