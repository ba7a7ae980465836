package dev.tern.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code HOST:PORT} as a socket address: {@code 127.0.0.1:7000}, {@code dst.example:7000}, {@code [::1]:7000}. The
 * host is resolved here, so a name that does not resolve is a usage error rather than a failed migration.
 */
final class HostPort implements ITypeConverter<InetSocketAddress> {

    @Override
    public InetSocketAddress convert(final String value) {
        return parse(value);
    }

    static InetSocketAddress parse(final String value) {
        final int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new TypeConversionException("'" + value + "' is not HOST:PORT (e.g. 127.0.0.1:7000, [::1]:7000)");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new TypeConversionException("'" + value + "': write an IPv6 address in brackets, e.g. [::1]:7000");
        }
        final int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (final NumberFormatException e) {
            throw new TypeConversionException("'" + value + "': port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new TypeConversionException("'" + value + "': port " + port + " is outside 0..65535");
        }
        final InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new TypeConversionException("'" + value + "': cannot resolve host " + host);
        }
        return address;
    }

    /** @return {@code address} as {@code HOST:PORT}, the way {@link #parse} reads it */
    static String format(final InetSocketAddress address) {
        final String host = address.getAddress() != null ? address.getAddress().getHostAddress()
                : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
