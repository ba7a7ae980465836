package dev.tern.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs a child JVM, with and without native access, to check the failure names the fix. */
class NativeAccessTest {

  /** Child entry point: prints getpid(2). */
  public static final class Child {
    public static void main(String[] args) {
      System.out.println(Posix.getpid());
    }
  }

  @Test
  void withoutNativeAccessTheErrorNamesTheFlag() throws Exception {
    Result result = runChild(false);
    assertThat(result.exit()).isNotZero();
    assertThat(result.output())
        .contains("IllegalCallerException")
        .contains("needs native access: start java with --enable-native-access=ALL-UNNAMED");
  }

  @Test
  void withNativeAccessTheChildSeesItsOwnPid() throws Exception {
    Result result = runChild(true);
    assertThat(result.exit()).as(result.output()).isZero();
    assertThat(result.output().strip()).isEqualTo(Long.toString(result.pid()));
  }

  record Result(int exit, String output, long pid) {}

  private static Result runChild(boolean nativeAccess) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (nativeAccess) command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(List.of("-Xshare:auto", "-cp", System.getProperty("java.class.path"), Child.class.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output, process.pid());
  }
}
