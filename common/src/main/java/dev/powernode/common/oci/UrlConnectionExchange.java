package dev.powernode.common.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * Bulk GETs (blob downloads) through the JDK's {@link HttpURLConnection} instead of {@code
 * java.net.http}: its blocking socket reads go straight into the caller's buffer, where the
 * asynchronous client copies every body through its selector thread and a queue of small buffers.
 * Measured on a loopback registry (bench/ingest-throughput.sh, 1 GiB): 1,251 MiB/s at 0.42 CPU
 * s/GiB against 254 MiB/s at 3.9 s/GiB. The answer is wrapped as an {@link HttpResponse}, so the
 * transport's authentication, redirect and error handling stay the same. No proxy (as the
 * asynchronous client), no automatic redirects (the transport checks each hop), and a body left
 * unread is closed with its connection, never drained.
 */
final class UrlConnectionExchange {
    private UrlConnectionExchange() {}

    static HttpResponse<InputStream> get(
            URI uri, Map<String, String> headers, Duration connectTimeout, Duration readTimeout) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setConnectTimeout(millis(connectTimeout));
        c.setReadTimeout(millis(readTimeout));
        headers.forEach(c::setRequestProperty);
        int status;
        try {
            status = c.getResponseCode();
        } catch (IOException e) {
            c.disconnect();
            throw e;
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        c.getHeaderFields().forEach((name, values) -> {
            if (name != null) {
                fields.put(name, values);
            }
        });
        HttpHeaders responseHeaders = HttpHeaders.of(fields, (a, b) -> true);
        InputStream raw = status >= 400 ? c.getErrorStream() : c.getInputStream();
        InputStream body = new Body(raw == null ? InputStream.nullInputStream() : raw, c);
        HttpRequest request = HttpRequest.newBuilder(uri).GET().build();
        return new HttpResponse<>() {
            @Override
            public int statusCode() {
                return status;
            }

            @Override
            public HttpRequest request() {
                return request;
            }

            @Override
            public Optional<HttpResponse<InputStream>> previousResponse() {
                return Optional.empty();
            }

            @Override
            public HttpHeaders headers() {
                return responseHeaders;
            }

            @Override
            public InputStream body() {
                return body;
            }

            @Override
            public Optional<SSLSession> sslSession() {
                return Optional.empty();
            }

            @Override
            public URI uri() {
                return uri;
            }

            @Override
            public HttpClient.Version version() {
                return HttpClient.Version.HTTP_1_1;
            }
        };
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    /** Closing before the end drops the connection instead of reading the rest of a large body. */
    private static final class Body extends FilterInputStream {
        private final HttpURLConnection connection;
        private boolean ended;

        Body(InputStream in, HttpURLConnection connection) {
            super(in);
            this.connection = connection;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            ended |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            ended |= n < 0;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (ended) {
                super.close();
            } else {
                connection.disconnect();
            }
        }
    }
}
