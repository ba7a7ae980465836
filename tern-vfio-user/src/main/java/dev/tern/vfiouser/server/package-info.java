/**
 * The vfio-user server: hosts one SDK device ({@code dev.tern.device}) on a UNIX socket, backed by its
 * {@code MigrationEngine}. Entry point {@link dev.tern.vfiouser.server.VfioUserServer}; per connection
 * {@link dev.tern.vfiouser.server.ClientSession} (threads, deadlock rules); the command table
 * {@link dev.tern.vfiouser.server.CommandDispatcher} with one small handler per command group.
 * <p>
 * Where implementations differ, this server does the following (vfio-user.md sections in brackets):
 * <ul>
 * <li>VERSION: the reply names only capabilities the client proposed (specification rule; libvfio-user also
 * sends {@code max_msg_fds}/{@code max_data_xfer_size}/{@code migration} unasked). Offer: 8 fds, 1 MiB, 4 KiB
 * pages, 65535 maps, no twin socket, no {@code write_multiple}; {@code migration.pgsize} 4096 when asked.
 * [§1.2]</li>
 * <li>The first message must be VERSION; anything else gets EINVAL and the connection is closed.</li>
 * <li>Malformed commands get EINVAL (codec rules, libvfio-user's choices); {@code msg_size < 16} cannot be
 * resynchronised: EINVAL then close. More fds than {@code max_msg_fds}, or fds with body bytes: EINVAL, the fds
 * are closed. Commands with NO_REPLY get no reply, not even an error. [§1]</li>
 * <li>No command is filtered by migration state (libvfio-user refuses most commands in STOP/STOP_COPY,
 * {@code should_exec_command}); the SDK refuses what the uAPI forbids instead (frozen registers: EBUSY, DMA while
 * stopped: EPERM). [§2.2]</li>
 * <li>DEVICE_RESET goes through the engine and returns the migration state to RUNNING, as
 * {@code VFIO_DEVICE_RESET} does for kernel devices; libvfio-user keeps the migration state since #844. A client
 * disconnect keeps the device and its migration state (specification "Client Disconnection", as #844) but unmaps
 * its DMA, closes its eventfds and stops dirty logging. [§1, §7]</li>
 * <li>MIG_DATA_READ replies are zero-padded to the requested size (libvfio-user); a short {@code size} means
 * "nothing now" in PRE_COPY, and {@code size} 0 the end of the stream in STOP_COPY. [§2.3]</li>
 * <li>DMA logging follows the SDK's {@code DirtyLog} (kernel errno table: ranges honoured, START twice EBUSY),
 * not libvfio-user's (ranges ignored, whole regions only); DMA_WRITE messages to the client are logged too. START
 * with zero ranges logs every write, to mappings added later too (specification "all writes"). [§2.4]</li>
 * <li>DMA_MAP with an fd is refused (EINVAL) unless the fd is a regular file (memfd) covering offset+size, so a
 * bad size cannot make a later access fault, and sealed with {@code F_SEAL_SHRINK}, so it cannot shrink under
 * the device later (libvfio-user requires no seal). DMA_UNMAP of a range with no mapping is ENOENT (libvfio-user); GET_DIRTY_BITMAP
 * (migration v1) is ENOTSUP. [§1.1]</li>
 * <li>One client at a time, as libvfio-user; but a second client is answered EBUSY (libvfio-user leaves it in the
 * listen backlog), and a client that does not finish VERSION or a message in time is closed. IRQ fds must be
 * eventfds (libvfio-user accepts any fd). [§1, L8]</li>
 * <li>Server-to-client DMA_READ/DMA_WRITE use the single socket (no twin socket); see {@link
 * dev.tern.vfiouser.server.ClientSession}. DMA_WRITE replies of 0, 12 or 16 bytes are accepted (codec).</li>
 * <li>Tern extension (only for clients that propose the {@code tern} capability): P2P states and flag,
 * {@code TERN_PRECOPY_INFO}, MIG_DATA_SIZE (feature 9, a kernel feature vfio-user does not have), and the
 * diagnostics of {@link dev.tern.vfiouser.extension.TernDiagnostics}. To any other client the server offers the
 * specification's features only (1, 2, 6, 7, 8), as libvfio-user does.</li>
 * </ul>
 */
package dev.tern.vfiouser.server;
