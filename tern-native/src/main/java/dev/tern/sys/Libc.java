package dev.tern.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc functions {@link Posix} wraps, each looked up once as a {@link MethodHandle} whose first
 * argument is an errno capture buffer ({@link Linker.Option#captureCallState}): the JVM may clobber
 * {@code errno} before Java code could read it, so the linker copies it out right after the call.
 */
final class Libc {
  private Libc() {}

  private static final Linker LINKER = linkerWithNativeAccess();
  private static final StructLayout STATE_LAYOUT = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = STATE_LAYOUT.varHandle(groupElement("errno"));
  private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
  /** Per-thread capture buffer: avoids an allocation per call, freed with its thread. */
  private static final ThreadLocal<MemorySegment> STATE =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATE_LAYOUT));

  static final MethodHandle SOCKET = errnoCall("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
  static final MethodHandle SOCKETPAIR =
      errnoCall("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
  static final MethodHandle BIND = errnoCall("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
  static final MethodHandle LISTEN = errnoCall("listen", JAVA_INT, JAVA_INT, JAVA_INT);
  static final MethodHandle ACCEPT4 =
      errnoCall("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
  static final MethodHandle CONNECT = errnoCall("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
  static final MethodHandle SHUTDOWN = errnoCall("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
  static final MethodHandle SETSOCKOPT =
      errnoCall("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
  static final MethodHandle SENDMSG = errnoCall("sendmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
  static final MethodHandle RECVMSG = errnoCall("recvmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
  static final MethodHandle MEMFD_CREATE = errnoCall("memfd_create", JAVA_INT, ADDRESS, JAVA_INT);
  static final MethodHandle FTRUNCATE = errnoCall("ftruncate", JAVA_INT, JAVA_INT, JAVA_LONG);
  static final MethodHandle MMAP =
      errnoCall("mmap", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
  static final MethodHandle LSEEK = errnoCall("lseek", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
  static final MethodHandle MUNMAP = errnoCall("munmap", JAVA_INT, ADDRESS, JAVA_LONG);
  static final MethodHandle MADVISE = errnoCall("madvise", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
  static final MethodHandle EVENTFD = errnoCall("eventfd", JAVA_INT, JAVA_INT, JAVA_INT);
  static final MethodHandle POLL = errnoCall("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
  static final MethodHandle READ = errnoCall("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
  static final MethodHandle PREAD = errnoCall("pread64", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
  static final MethodHandle WRITE = errnoCall("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
  static final MethodHandle CLOSE = errnoCall("close", JAVA_INT, JAVA_INT);
  static final MethodHandle FCHMOD = errnoCall("fchmod", JAVA_INT, JAVA_INT, JAVA_INT);
  static final MethodHandle PIPE2 = errnoCall("pipe2", JAVA_INT, ADDRESS, JAVA_INT);
  /** fcntl(2) is variadic: its third argument must be passed the variadic way. */
  static final MethodHandle FCNTL = downcall("fcntl",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
      Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
  static final MethodHandle POSIX_OPENPT = errnoCall("posix_openpt", JAVA_INT, JAVA_INT);
  static final MethodHandle GRANTPT = errnoCall("grantpt", JAVA_INT, JAVA_INT);
  static final MethodHandle UNLOCKPT = errnoCall("unlockpt", JAVA_INT, JAVA_INT);
  /** Returns an error number (not -1 and errno). */
  static final MethodHandle PTSNAME_R = downcall("ptsname_r",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
  static final MethodHandle TCGETATTR = errnoCall("tcgetattr", JAVA_INT, JAVA_INT, ADDRESS);
  static final MethodHandle TCSETATTR = errnoCall("tcsetattr", JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
  static final MethodHandle CFMAKERAW = downcall("cfmakeraw", FunctionDescriptor.ofVoid(ADDRESS));
  static final MethodHandle GETPID = downcall("getpid", FunctionDescriptor.of(JAVA_INT));
  /** The GNU strerror_r, which glibc exports under this name: returns a pointer to the text. */
  static final MethodHandle STRERROR_R =
      downcall("strerror_r", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));

  static MemorySegment state() {
    return STATE.get();
  }

  static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  static PosixException fail(MemorySegment state, String call) {
    return new PosixException(call, errno(state));
  }

  static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException e) return e;
    if (t instanceof Error e) throw e;
    return new IllegalStateException("unexpected checked exception from a downcall", t);
  }

  /** A libc function whose errno the linker captures (first argument: {@link #state()}). */
  static MethodHandle errnoCall(String name, MemoryLayout ret, MemoryLayout... args) {
    return downcall(name, FunctionDescriptor.of(ret, args), CAPTURE_ERRNO);
  }

  /** A variadic libc function (open, ioctl): arguments from {@code firstVariadic} on are passed as varargs. */
  static MethodHandle variadicCall(String name, FunctionDescriptor descriptor, int firstVariadic) {
    return downcall(name, descriptor, Linker.Option.firstVariadicArg(firstVariadic), CAPTURE_ERRNO);
  }

  private static MethodHandle downcall(String name, FunctionDescriptor descriptor,
      Linker.Option... options) {
    MemorySegment symbol = LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libc does not export " + name));
    return LINKER.downcallHandle(symbol, descriptor, options);
  }

  /**
   * Fails class initialisation with instructions rather than letting the JDK print a warning now
   * and refuse in a later release (JEP 472).
   */
  private static Linker linkerWithNativeAccess() {
    Module module = Libc.class.getModule();
    if (!module.isNativeAccessEnabled()) {
      String who = module.isNamed() ? module.getName() : "ALL-UNNAMED";
      throw new IllegalCallerException("Tern calls Linux syscalls through java.lang.foreign and "
          + "needs native access: start java with --enable-native-access=" + who);
    }
    return Linker.nativeLinker();
  }
}
