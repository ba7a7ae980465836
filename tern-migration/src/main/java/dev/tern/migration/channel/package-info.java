/**
 * Migration transport: sessions of TCP connections (optionally TLS 1.3 with mutual authentication) between a
 * source ({@link dev.tern.migration.channel.MigrationConnector}) and a destination
 * ({@link dev.tern.migration.channel.MigrationListener}).
 * <pre>
 *  source                                     destination
 *  control  --Preamble(CONTROL, id, n)--&gt;     accept: control first fixes id and n
 *  data 0   --Preamble(DATA, id, 0, n)--&gt;     then n data connections, any order,
 *  ...                                        foreign ids rejected
 *  data n-1 --Preamble(DATA, id, n-1, n)--&gt;   --&gt; Session(id, control, [data 0..n-1])
 * </pre>
 * After the preamble each {@link dev.tern.migration.channel.Connection} carries records
 * ({@link dev.tern.migration.wire}) both ways; devices stream in parallel, one connection each.
 */
package dev.tern.migration.channel;
