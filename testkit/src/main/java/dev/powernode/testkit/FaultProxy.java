package dev.powernode.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A loopback HTTP/1.1 proxy in front of a registry whose misbehaviour tests switch on at runtime:
 * error statuses, stalls, connection resets, truncated and swapped bodies. Each connection carries
 * one request ({@code Connection: close} both ways), so what happens to one request is
 * deterministic. Faults are consumed in the order they were added, each for a given number of
 * matching requests; body faults only hit successful (200/206) answers, so authentication rounds
 * pass through untouched. Request bodies must have a Content-Length (chunked uploads from a client
 * that does not know the length are not supported).
 */
public final class FaultProxy implements AutoCloseable {
    /** Path of a blob GET/HEAD. */
    public static final String BLOB_PATH = "/v2/.+/blobs/sha256:[0-9a-f]{64}";
    /** Path of a manifest request, by tag or digest. */
    public static final String MANIFEST_PATH = "/v2/.+/manifests/[^/]+";

    private static final int MAX_HEAD_BYTES = 64 * 1024;

    private enum Kind {
        FAIL,
        DELAY,
        STALL_HEADERS,
        STALL_BODY,
        RESET,
        TRUNCATE,
        SWAP
    }

    private static final class Fault {
        final Kind kind;
        final String method;
        final Pattern path;
        final int status;
        final long afterBytes;
        final Duration duration;
        int remaining;

        Fault(Kind kind, int times, String method, String pathRegex, int status, long afterBytes, Duration duration) {
            if (times <= 0) {
                throw new IllegalArgumentException("times must be positive");
            }
            this.kind = kind;
            this.remaining = times;
            this.method = method.toUpperCase(Locale.ROOT);
            this.path = Pattern.compile(pathRegex);
            this.status = status;
            this.afterBytes = afterBytes;
            this.duration = duration;
        }

        boolean matches(String requestMethod, String requestPath) {
            return method.equals(requestMethod) && path.matcher(requestPath).matches();
        }
    }

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final List<Fault> faults = new ArrayList<>();
    private final List<String> requests = new ArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);

    private FaultProxy(ServerSocket server, String upstreamHost, int upstreamPort) {
        this.server = server;
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        threads.execute(this::acceptLoop);
    }

    /** Starts a proxy on a free 127.0.0.1 port forwarding to {@code upstream} ({@code 127.0.0.1:port}). */
    public static FaultProxy start(String upstream) {
        int colon = upstream.lastIndexOf(':');
        String host = colon < 0 ? "" : upstream.substring(0, colon);
        if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
            throw new IllegalArgumentException("FaultProxy only forwards to loopback, not " + upstream);
        }
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            return new FaultProxy(server, "127.0.0.1", Integer.parseInt(upstream.substring(colon + 1)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a loopback port for the proxy", e);
        }
    }

    /** {@code 127.0.0.1:<port>}: use it as the registry name in the client under test. */
    public String registry() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Answers the next {@code times} matching requests with {@code status}, without forwarding them. */
    public FaultProxy failNext(int times, int status, String method, String pathRegex) {
        return add(new Fault(Kind.FAIL, times, method, pathRegex, status, 0, Duration.ZERO));
    }

    /**
     * Forwards matching requests only after {@code duration}, whatever they are answered: the
     * registry works slowly, and does the work.
     */
    public FaultProxy delay(int times, Duration duration, String method, String pathRegex) {
        return add(new Fault(Kind.DELAY, times, method, pathRegex, 0, 0, duration));
    }

    /** Holds back the whole answer (headers included) of matching requests for {@code duration}, then hangs up. */
    public FaultProxy stallHeaders(int times, Duration duration, String method, String pathRegex) {
        return add(new Fault(Kind.STALL_HEADERS, times, method, pathRegex, 0, 0, duration));
    }

    /** Sends the headers and {@code afterBytes} of the body, then nothing for {@code duration}, then hangs up. */
    public FaultProxy stallBody(int times, long afterBytes, Duration duration, String method, String pathRegex) {
        return add(new Fault(Kind.STALL_BODY, times, method, pathRegex, 0, afterBytes, duration));
    }

    /** Resets the connection (TCP RST) after {@code afterBytes} of the body. */
    public FaultProxy resetBody(int times, long afterBytes, String method, String pathRegex) {
        return add(new Fault(Kind.RESET, times, method, pathRegex, 0, afterBytes, Duration.ZERO));
    }

    /** Sends the headers (full Content-Length) and {@code afterBytes} of the body, then closes cleanly. */
    public FaultProxy truncateBody(int times, long afterBytes, String method, String pathRegex) {
        return add(new Fault(Kind.TRUNCATE, times, method, pathRegex, 0, afterBytes, Duration.ZERO));
    }

    /** Serves different bytes of the same length (every body byte inverted): content swapped after push. */
    public FaultProxy swapBody(int times, String method, String pathRegex) {
        return add(new Fault(Kind.SWAP, times, method, pathRegex, 0, 0, Duration.ZERO));
    }

    /** Drops the faults not yet used up: everything passes through again. */
    public synchronized FaultProxy passThrough() {
        faults.clear();
        return this;
    }

    /** How many requests (since the last {@link #clearRequests()}) matched method and path regex. */
    public synchronized int requestCount(String method, String pathRegex) {
        Pattern path = Pattern.compile(pathRegex);
        String m = method.toUpperCase(Locale.ROOT);
        return (int) requests.stream()
                .filter(r -> r.startsWith(m + " ")
                        && path.matcher(r.substring(m.length() + 1)).matches())
                .count();
    }

    /** Every request seen, as {@code METHOD /path} (query left out). */
    public synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    public synchronized void clearRequests() {
        requests.clear();
    }

    @Override
    public void close() {
        closed.countDown();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket socket : open) {
            release(socket);
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized FaultProxy add(Fault fault) {
        faults.add(fault);
        return this;
    }

    /** Takes one use of the first fault of one of {@code kinds} matching the request, or null. */
    private synchronized Fault take(String method, String path, Set<Kind> kinds) {
        for (Iterator<Fault> it = faults.iterator(); it.hasNext(); ) {
            Fault fault = it.next();
            if (kinds.contains(fault.kind) && fault.matches(method, path)) {
                if (--fault.remaining == 0) {
                    it.remove();
                }
                return fault;
            }
        }
        return null;
    }

    private synchronized void record(String method, String path) {
        requests.add(method + " " + path);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        Socket upstream = null;
        try {
            InputStream clientIn = new BufferedInputStream(client.getInputStream());
            OutputStream clientOut = client.getOutputStream();
            Head request = Head.read(clientIn);
            if (request == null) {
                return;
            }
            String[] line = request.startLine.split(" ", 3);
            if (line.length < 3) {
                return;
            }
            String method = line[0].toUpperCase(Locale.ROOT);
            String path = line[1].split("\\?", 2)[0];
            record(method, path);
            long requestLength = request.contentLength();

            Fault fail = take(method, path, Set.of(Kind.FAIL));
            if (fail != null) {
                // Read the body first: closing with unread input would send RST instead of the answer.
                clientIn.skipNBytes(Math.max(0, requestLength));
                writeError(clientOut, fail.status);
                return;
            }

            Fault delay = take(method, path, Set.of(Kind.DELAY));
            if (delay != null) {
                pause(delay.duration);
            }
            upstream = new Socket();
            open.add(upstream);
            upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), 5_000);
            OutputStream upstreamOut = upstream.getOutputStream();
            upstreamOut.write(request.withConnectionClose());
            copy(clientIn, upstreamOut, Math.max(0, requestLength));
            upstreamOut.flush();

            InputStream upstreamIn = new BufferedInputStream(upstream.getInputStream());
            Head response = Head.read(upstreamIn);
            if (response == null) {
                return;
            }
            int status = response.status();
            Fault fault = status == 200 || status == 206
                    ? take(
                            method,
                            path,
                            Set.of(Kind.STALL_HEADERS, Kind.STALL_BODY, Kind.RESET, Kind.TRUNCATE, Kind.SWAP))
                    : null;
            if (fault != null && fault.kind == Kind.STALL_HEADERS) {
                pause(fault.duration);
                return;
            }
            clientOut.write(response.withConnectionClose());
            long limit = fault != null && fault.kind != Kind.SWAP ? fault.afterBytes : Long.MAX_VALUE;
            long sent = pump(upstreamIn, clientOut, limit, fault != null && fault.kind == Kind.SWAP);
            clientOut.flush();
            if (fault == null || sent < limit) {
                return;
            }
            switch (fault.kind) {
                case RESET -> client.setSoLinger(true, 0); // close() now sends RST
                case STALL_BODY -> pause(fault.duration);
                default -> {
                    // TRUNCATE: the plain close below ends the body early
                }
            }
        } catch (IOException e) {
            // one side hung up or the proxy is closing: the other side sees the connection end
        } finally {
            release(client);
            release(upstream);
        }
    }

    /** Copies a response body until the upstream closes or {@code limit} bytes are sent. */
    private static long pump(InputStream in, OutputStream out, long limit, boolean invert) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        long sent = 0;
        while (sent < limit) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - sent));
            if (n < 0) {
                break;
            }
            if (invert) {
                for (int i = 0; i < n; i++) {
                    buffer[i] = (byte) ~buffer[i];
                }
            }
            out.write(buffer, 0, n);
            sent += n;
        }
        return sent;
    }

    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("request body ended early");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private void pause(Duration duration) {
        try {
            closed.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void writeError(OutputStream out, int status) throws IOException {
        byte[] body = ("{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by FaultProxy\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " Injected\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    private void release(Socket socket) {
        if (socket == null) {
            return;
        }
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    /** A request or response head: start line and header lines, as received. */
    private record Head(String startLine, List<String> headers) {
        static Head read(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            List<String> lines = new ArrayList<>();
            int total = 0;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                if (++total > MAX_HEAD_BYTES) {
                    throw new IOException("head too large");
                }
                if (b == '\n') {
                    String text = line.toString(StandardCharsets.ISO_8859_1);
                    if (text.endsWith("\r")) {
                        text = text.substring(0, text.length() - 1);
                    }
                    line.reset();
                    if (text.isEmpty()) {
                        if (lines.isEmpty()) {
                            continue; // tolerate a stray CRLF before the start line
                        }
                        return new Head(lines.get(0), List.copyOf(lines.subList(1, lines.size())));
                    }
                    lines.add(text);
                } else {
                    line.write(b);
                }
            }
        }

        int status() {
            String[] parts = startLine.split(" ", 3);
            return parts.length < 2 ? 0 : Integer.parseInt(parts[1]);
        }

        long contentLength() {
            for (String header : headers) {
                int colon = header.indexOf(':');
                if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                    return Long.parseLong(header.substring(colon + 1).trim());
                }
            }
            return 0;
        }

        /** The head as bytes, with {@code Connection: close} instead of any connection management. */
        byte[] withConnectionClose() {
            StringBuilder out = new StringBuilder(startLine).append("\r\n");
            for (String header : headers) {
                int colon = header.indexOf(':');
                String name = colon < 0 ? header : header.substring(0, colon).trim();
                if (name.equalsIgnoreCase("Connection")
                        || name.equalsIgnoreCase("Keep-Alive")
                        || name.equalsIgnoreCase("Proxy-Connection")) {
                    continue;
                }
                out.append(header).append("\r\n");
            }
            out.append("Connection: close\r\n\r\n");
            return out.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }
}
