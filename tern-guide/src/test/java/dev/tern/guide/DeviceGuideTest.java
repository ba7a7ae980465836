package dev.tern.guide;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The guide cannot drift from code that compiles: every fenced block of {@code docs/device-guide.md} is preceded by
 * {@code <!-- snippet: PATH#TAG -->} and equals the lines between {@code // tag::TAG[]} and {@code // end::TAG[]} in
 * that source (nested markers dropped, common indentation removed), or by {@code <!-- snippet: PATH -->} and appears
 * in that file as a run of lines (compared without their indentation). Only shell blocks ({@code ```sh}) may go
 * without a marker.
 */
class DeviceGuideTest {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Pattern MARKER = Pattern.compile("<!-- snippet: ([^#\\s]+)(?:#(\\S+))? -->");
    private static final Pattern TAG_LINE = Pattern.compile("^\\s*// (?:tag|end)::[\\w-]+\\[]\\s*$");

    /** One fenced block: its info string, its lines, the marker before it (or null) and where it starts. */
    record Block(String info, List<String> lines, Matcher marker, int line) {
    }

    @Test
    void everyBlockIsTheSourceItNames() throws IOException {
        final List<Block> blocks = blocks(Files.readAllLines(ROOT.resolve("docs/device-guide.md")));
        assertThat(blocks.stream().filter(b -> b.marker() != null)).hasSizeGreaterThanOrEqualTo(12);
        for (final Block b : blocks) {
            final String where = "device-guide.md line " + b.line();
            if (b.marker() == null) {
                assertThat(b.info()).as(where + ": a block without a snippet marker").isEqualTo("sh");
                continue;
            }
            final List<String> source = Files.readAllLines(ROOT.resolve(b.marker().group(1)));
            final String tag = b.marker().group(2);
            if (tag != null) {
                assertThat(String.join("\n", b.lines())).as(where).isEqualTo(String.join("\n", region(source, tag)));
            } else {
                assertThat(Collections.indexOfSubList(stripped(source), stripped(b.lines()))).as(where + ": not in "
                        + b.marker().group(1)).isNotNegative();
            }
        }
    }

    @Test
    void aRegionIsFoundWithoutItsNestedMarkers() {
        final List<String> src = List.of("class A {", "    // tag::a[]", "    int x;", "    // tag::b[]",
                "        int y;", "    // end::b[]", "    // end::a[]", "}");
        assertThat(region(src, "a")).containsExactly("int x;", "    int y;");
        assertThat(region(src, "b")).containsExactly("int y;");
        assertThat(blocks(List.of("<!-- snippet: a/B.java#t -->", "", "```java", "x", "```", "```sh", "y", "```")))
                .extracting(b -> b.marker() == null ? "-" : b.marker().group(2), Block::lines)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("t", List.of("x")),
                        org.assertj.core.groups.Tuple.tuple("-", List.of("y")));
    }

    /** @return the fenced blocks of a Markdown text, each with the snippet marker on the line before it */
    static List<Block> blocks(final List<String> md) {
        final List<Block> out = new ArrayList<>();
        Matcher marker = null;
        for (int i = 0; i < md.size(); i++) {
            final String l = md.get(i);
            final Matcher m = MARKER.matcher(l.strip());
            if (m.matches()) {
                marker = m;
            } else if (l.startsWith("```")) {
                int end = i + 1;
                while (end < md.size() && !md.get(end).startsWith("```")) {
                    end++;
                }
                assertThat(end).as("block at line " + (i + 1) + " is closed").isLessThan(md.size());
                out.add(new Block(l.substring(3).strip(), md.subList(i + 1, end), marker, i + 1));
                marker = null;
                i = end;
            } else if (!l.isBlank()) {
                marker = null;
            }
        }
        return out;
    }

    /** @return the lines between the tag's markers, without nested markers, dedented */
    static List<String> region(final List<String> source, final String tag) {
        final int start = source.indexOf(source.stream().filter(l -> l.strip().equals("// tag::" + tag + "[]"))
                .findFirst().orElseThrow(() -> new AssertionError("no tag::" + tag + "[]")));
        final int end = source.subList(start, source.size()).stream().map(String::strip).toList()
                .indexOf("// end::" + tag + "[]") + start;
        assertThat(end).as("end::" + tag + "[] after its tag").isGreaterThan(start);
        return dedent(source.subList(start + 1, end).stream().filter(l -> !TAG_LINE.matcher(l).matches()).toList());
    }

    private static List<String> stripped(final List<String> lines) {
        return lines.stream().map(String::strip).toList();
    }

    static List<String> dedent(final List<String> lines) {
        final int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading()
                .length()).min().orElse(0);
        return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
    }
}
