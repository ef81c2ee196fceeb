import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in registry for bench/retention-sweep.sh that only counts: DELETE of a manifest answers
 * 202, HEAD/GET of a manifest 404 (no signature to delete), GET /v2/ 200, and GET /count the number
 * of deletes. JDK only; listens on 127.0.0.1. Args: PORT
 */
public class CountingRegistry {
    public static void main(String[] args) throws Exception {
        AtomicLong deletes = new AtomicLong();
        HttpServer server = HttpServer.create(
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Integer.parseInt(args[0])), 512);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", exchange -> {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            exchange.getRequestBody().readAllBytes();
            int status;
            byte[] body = new byte[0];
            if (path.equals("/count")) {
                status = 200;
                body = Long.toString(deletes.get()).getBytes();
            } else if (path.equals("/v2/")) {
                status = 200;
            } else if (method.equals("DELETE") && path.contains("/manifests/sha256:")) {
                deletes.incrementAndGet();
                status = 202;
            } else {
                status = 404;
            }
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
    }
}
