/**
 * The one place Tern calls the kernel: an FFM facade over the Linux syscalls it needs
 * ({@link dev.tern.sys.Posix}, {@link dev.tern.sys.Ioctl}), AF_UNIX sockets passing descriptors with SCM_RIGHTS
 * ({@link dev.tern.sys.UnixSocket}), sealed memfds and shared mappings ({@link dev.tern.sys.SharedMemory}),
 * eventfds, pipes, poll and ptys. Struct layouts and constants are declared once ({@link dev.tern.sys.Layouts}) and
 * pinned to the C headers by tests; failures are {@link dev.tern.sys.PosixException}s carrying the errno.
 */
package dev.tern.sys;
