/**
 * The vfio-user client (the VMM side): {@link dev.tern.vfiouser.client.VfioUserClient} for the commands,
 * {@link dev.tern.vfiouser.client.VfioUserMigrationTarget} to drive a remote device as a
 * {@code MigrationTarget} (which {@code tern check --socket} checks with the conformance kit over
 * sockets). The client proposes the Tern extension by default; a server that does not know it ignores it
 * (specification: unknown capabilities are ignored), and the client then uses only specification features.
 */
package dev.tern.vfiouser.client;
