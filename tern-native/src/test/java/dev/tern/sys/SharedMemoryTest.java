package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class SharedMemoryTest {
  private static final long GIB = 1L << 30;

  @Test
  void populateFaultsInEveryPageInOneCall() throws Exception {
    try (SharedMemory m = SharedMemory.create("populate", 64L << 20)) {
      long before = ProcFds.rssKib();
      m.populate();
      assertThat(ProcFds.rssKib() - before).as("RSS growth in KiB").isGreaterThanOrEqualTo(60 * 1024);
      m.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, (64L << 20) - 8, 42L);
      assertThat(m.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, (64L << 20) - 8)).isEqualTo(42L);
    }
  }

  @Test
  void copyOutReadsUntouchedPagesAsZerosWithoutFaultingThemIn() throws Exception {
    long size = 64L << 20;
    try (SharedMemory m = SharedMemory.create("copy-out", size);
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      m.segment().set(JAVA_LONG, 8, 7L);
      m.segment().set(JAVA_LONG, size - 8, 9L);
      MemorySegment dst = arena.allocate(size);
      dst.fill((byte) 0x5a); // touched now, so only the memfd's pages can grow the RSS below
      long before = ProcFds.rssKib();
      m.copyOut(0, dst);
      assertThat(ProcFds.rssKib() - before).as("RSS growth in KiB").isLessThan(4 * 1024);
      assertThat(dst.get(JAVA_LONG, 8)).isEqualTo(7L);
      assertThat(dst.get(JAVA_LONG, size - 8)).isEqualTo(9L);
      assertThat(dst.asSlice(16, size - 24).mismatch(MemorySegment.ofArray(new byte[(int) (size - 24)])))
          .isEqualTo(-1L);
      byte[] heap = new byte[16];
      m.copyOut(size - 16, MemorySegment.ofArray(heap)); // heap memory: through the mapping
      assertThat(MemorySegment.ofArray(heap).get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 8)).isEqualTo(9L);
    }
  }

  @Test
  void createdMemfdIsNamedZeroedAndWritable() throws Exception {
    try (SharedMemory shm = SharedMemory.create("tern-test", 8192)) {
      assertThat(ProcFds.target(shm.fd().value())).startsWith("/memfd:tern-test");
      assertThat(ProcFds.isCloseOnExec(shm.fd().value())).isTrue();
      assertThat(shm.size()).isEqualTo(8192);
      assertThat(shm.isWritable()).isTrue();
      MemorySegment s = shm.segment();
      assertThat(s.get(JAVA_LONG, 8184)).isZero();
      s.set(JAVA_LONG, 8184, 0x1122334455667788L);
      assertThat(s.get(JAVA_LONG, 8184)).isEqualTo(0x1122334455667788L);
    }
  }

  @Test
  void fourGibMapsLazily() throws Exception {
    long rssBefore = ProcFds.rssKib();
    try (SharedMemory shm = SharedMemory.create("tern-big", 4 * GIB)) {
      MemorySegment s = shm.segment();
      assertThat(s.byteSize()).isEqualTo(4 * GIB);
      s.set(JAVA_LONG, 4 * GIB - 8, -2L);
      s.set(JAVA_LONG, 0, 1L);
      assertThat(s.get(JAVA_LONG, 4 * GIB - 8)).isEqualTo(-2L);
      assertThat(ProcFds.rssKib() - rssBefore).as("RSS growth in KiB").isLessThan(256 * 1024);
      try (SharedMemory tail = SharedMemory.map(shm.fd().dup(), 4 * GIB - 4096, 4096, false)) {
        assertThat(tail.segment().get(JAVA_LONG, 4096 - 8)).isEqualTo(-2L);
        assertThat(tail.offset()).isEqualTo(4 * GIB - 4096);
      }
    }
  }

  @Test
  void twoMappingsOfOneFdShareTheBytes() throws Exception {
    try (SharedMemory a = SharedMemory.create("tern-shared", 4096);
        SharedMemory b = SharedMemory.map(a.fd().dup(), 0, 4096, true)) {
      a.segment().set(JAVA_LONG, 16, 99L);
      assertThat(b.segment().get(JAVA_LONG, 16)).isEqualTo(99L);
      b.segment().set(JAVA_LONG, 24, 100L);
      assertThat(a.segment().get(JAVA_LONG, 24)).isEqualTo(100L);
    }
  }

  @Test
  void readOnlyMappingRefusesWrites() throws Exception {
    try (SharedMemory rw = SharedMemory.create("tern-ro", 4096);
        SharedMemory ro = SharedMemory.map(rw.fd().dup(), 0, 4096, false)) {
      rw.segment().set(JAVA_LONG, 0, 5L);
      assertThat(ro.isWritable()).isFalse();
      assertThat(ro.segment().get(JAVA_LONG, 0)).isEqualTo(5L);
      assertThatThrownBy(() -> ro.segment().set(JAVA_LONG, 0, 6L)).isInstanceOf(RuntimeException.class);
      assertThat(rw.segment().get(JAVA_LONG, 0)).isEqualTo(5L);
    }
  }

  @Test
  void useAfterCloseThrowsInsteadOfCrashing() throws Exception {
    long before = ProcFds.count();
    SharedMemory shm = SharedMemory.create("tern-closed", 4096);
    MemorySegment kept = shm.segment();
    int fd = shm.fd().value();
    shm.close();
    shm.close();
    assertThat(ProcFds.isOpen(fd)).isFalse();
    assertThat(ProcFds.count()).isEqualTo(before);
    assertThatThrownBy(shm::segment).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> kept.get(JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void mapFailuresReportMmapAndLeaveTheFdToTheCaller() throws Exception {
    try (SharedMemory shm = SharedMemory.create("tern-bad", 8192); Fd copy = shm.fd().dup()) {
      assertThatThrownBy(() -> SharedMemory.map(copy, 100, 4096, true))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL))
          .hasMessageStartingWith("mmap(fd=" + copy.value() + ", size=4096, offset=100): EINVAL");
      assertThat(copy.isOpen()).isTrue();
    }
    assertThatThrownBy(() -> SharedMemory.create("tern-empty", 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void createdMemoryIsSealedSoAPeerCanRelyOnItsPages() throws Exception {
    try (SharedMemory shm = SharedMemory.create("tern-sealed", 8192)) {
      assertThat(shm.fd().seals() & SharedMemory.SEALS).isEqualTo(SharedMemory.SEALS);
      assertThatThrownBy(() -> PosixMemory.ftruncate(shm.fd().value(), 4096))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
      assertThatThrownBy(() -> shm.fd().addSeals(Layouts.F_SEAL_WRITE))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
      assertThat(shm.size()).isEqualTo(8192);
    }
    try (Pipe pipe = Pipe.open()) {
      assertThat(pipe.readEnd().seals()).as("a pipe cannot carry seals").isEqualTo(-1);
    }
  }

  @Test
  void visitRunsReportsEachDataAndHoleRunOfARangeOnceInOrder() throws Exception {
    long page = 4096;
    try (SharedMemory m = SharedMemory.create("runs", 16 * page)) {
      m.segment().set(JAVA_LONG, 3 * page, 1L);
      m.segment().set(JAVA_LONG, 4 * page, 2L);
      m.segment().set(JAVA_LONG, 9 * page, 3L);
      java.util.List<String> runs = new java.util.ArrayList<>();
      SharedMemory.RunVisitor record = new SharedMemory.RunVisitor() {
        @Override
        public void data(MemorySegment mapping, long from, long to) {
          assertThat(mapping.byteSize()).isEqualTo(m.size());
          runs.add("data " + from / page + "-" + to / page);
        }

        @Override
        public void hole(long from, long to) {
          runs.add("hole " + from / page + "-" + to / page);
        }
      };
      m.visitRuns(0, m.size(), record);
      assertThat(runs).containsExactly("hole 0-3", "data 3-5", "hole 5-9", "data 9-10", "hole 10-16");
      runs.clear();
      m.visitRuns(4 * page, 6 * page, record); // starts inside data, ends inside data
      assertThat(runs).containsExactly("data 4-5", "hole 5-9", "data 9-10");
      runs.clear();
      m.visitRuns(6 * page, 0, record);
      assertThat(runs).isEmpty();
    }
  }

  @Test
  void dataAndHolesOfAMemfdAreFoundByLseekWithoutAllocatingTheHoles() throws Exception {
    long page = 4096;
    try (SharedMemory m = SharedMemory.create("holes", 256 * page)) {
      assertThat(m.nextData(0)).as("a fresh memfd is one hole").isEqualTo(m.size());
      assertThat(m.nextHole(0)).isZero();
      m.segment().set(JAVA_LONG, 3 * page + 8, 1L);
      m.segment().set(JAVA_LONG, 100 * page, 2L);
      m.segment().set(JAVA_LONG, 101 * page + 4000, 3L);
      m.segment().set(JAVA_LONG, 255 * page, 4L);
      assertThat(m.nextData(0)).isEqualTo(3 * page);
      assertThat(m.nextData(3 * page + 17)).as("inside data: where it is").isEqualTo(3 * page + 17);
      assertThat(m.nextHole(3 * page)).isEqualTo(4 * page);
      assertThat(m.nextData(4 * page)).isEqualTo(100 * page);
      assertThat(m.nextHole(100 * page)).isEqualTo(102 * page);
      assertThat(m.nextHole(255 * page)).as("data up to the end").isEqualTo(m.size());
      assertThat(m.nextData(m.size())).isEqualTo(m.size());
      assertThatThrownBy(() -> m.nextData(m.size() + 1)).isInstanceOf(IndexOutOfBoundsException.class);
    }
    try (SharedMemory m = SharedMemory.create("tail-hole", 8 * page)) {
      m.segment().set(JAVA_LONG, 0, 1L);
      assertThat(m.nextData(page)).as("only a hole follows (ENXIO)").isEqualTo(m.size());
    }
  }

  @Test
  void theZeroMappingReadsAsZerosAndCannotBeWritten() throws Exception {
    MemorySegment z = PosixMemory.zeros(1 << 20);
    assertThat(z.byteSize()).isEqualTo(1 << 20);
    assertThat(z.mismatch(MemorySegment.ofArray(new byte[1 << 20]))).isEqualTo(-1);
    assertThat(z.isReadOnly()).isTrue();
    PosixMemory.munmap(z.address(), z.byteSize());
  }
}
