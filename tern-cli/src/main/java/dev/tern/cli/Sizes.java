package dev.tern.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Byte sizes as people write them: {@code 4096}, {@code 64K}, {@code 256MiB}, {@code 1g}. */
final class Sizes implements ITypeConverter<Long> {

    @Override
    public Long convert(final String value) {
        return parse(value);
    }

    static long parse(final String value) {
        final String t = value.strip().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        final int shift = t.endsWith("K") ? 10 : t.endsWith("M") ? 20 : t.endsWith("G") ? 30 : t.endsWith("T") ? 40
                : 0;
        final String digits = shift == 0 ? t : t.substring(0, t.length() - 1).strip();
        try {
            final long n = Long.parseLong(digits);
            if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (final NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a size (e.g. 4096, 64KiB, 256MiB, 1GiB)");
        }
    }
}
