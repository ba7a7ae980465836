package dev.tern.cli;

import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import dev.tern.protocol.v1.V1Policy;
import dev.tern.protocol.v1.V1State;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters delegating to the protocol module's parsers, so the CLI accepts what they accept. */
final class Converters {
    private Converters() {
    }

    /** picocli shows a TypeConversionException's message as is; anything else it wraps with a class name. */
    private static <T> T convertOrExplain(final java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (final IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** {@code stop-copy,p2p,pre-copy}. */
    static final class Flags implements ITypeConverter<MigrationFlags> {
        @Override
        public MigrationFlags convert(final String value) {
            return convertOrExplain(() -> MigrationFlags.parse(value));
        }
    }

    /** {@code RUNNING_P2P}, {@code running-p2p}, {@code 5}. */
    static final class State implements ITypeConverter<MigrationState> {
        @Override
        public MigrationState convert(final String value) {
            return convertOrExplain(() -> MigrationState.parse(value));
        }
    }

    /** {@code 011}, {@code 3}, {@code RUNNING|SAVING}. */
    static final class V1 implements ITypeConverter<V1State> {
        @Override
        public V1State convert(final String value) {
            return convertOrExplain(() -> V1State.parse(value));
        }
    }

    /** {@code proposed-2021}, {@code permissive}. */
    static final class Policy implements ITypeConverter<V1Policy> {
        @Override
        public V1Policy convert(final String value) {
            return convertOrExplain(() -> V1Policy.parse(value));
        }
    }
}
