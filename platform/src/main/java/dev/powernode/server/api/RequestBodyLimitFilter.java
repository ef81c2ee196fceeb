package dev.powernode.server.api;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over {@code POWERNODE_MAX_REQUEST_BODY} with 413: at once when the
 * declared length is too big, and while reading when a chunked body grows past the limit.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class RequestBodyLimitFilter extends OncePerRequestFilter {
    private static final String CODE = "request/too-large";

    private final long limit;
    private final ProblemWriter problems;

    private final WebhookIntakeFilter intake;
    private final WorkerTokenFilter workerApi;

    RequestBodyLimitFilter(
            ApiProperties props, ProblemWriter problems, WebhookIntakeFilter intake, WorkerTokenFilter workerApi) {
        this.limit = props.maxRequestBody().toBytes();
        this.problems = problems;
        this.intake = intake;
        this.workerApi = workerApi;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (intake.serves(request) || isUploadContent(request)) {
            // the receiver enforces its own, smaller limit and records the refusal as a delivery
            chain.doFilter(request, response);
            return;
        }
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            problems.write(
                    response, Problem.of(ErrorKind.TOO_LARGE.httpStatus(), CODE, tooLarge()), request.getRequestURI());
            return;
        }
        chain.doFilter(new LimitedRequest(request), response);
    }

    /** Direct-upload bodies are artifacts: bounded by their declared size, not by this limit. */
    private boolean isUploadContent(HttpServletRequest request) {
        return workerApi.serves(request) && request.getRequestURI().endsWith("/content");
    }

    private String tooLarge() {
        return "request body exceeds the limit of " + limit + " bytes";
    }

    private final class LimitedRequest extends HttpServletRequestWrapper {
        private ServletInputStream stream;

        LimitedRequest(HttpServletRequest request) {
            super(request);
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new LimitedStream(super.getInputStream());
            }
            return stream;
        }
    }

    private final class LimitedStream extends ServletInputStream {
        private final ServletInputStream in;
        private long count;

        LimitedStream(ServletInputStream in) {
            this.in = in;
        }

        private void account(long n) {
            if (n > 0) {
                count += n;
                if (count > limit) {
                    throw new DomainException(ErrorKind.TOO_LARGE, CODE, tooLarge());
                }
            }
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            account(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            account(n);
            return n;
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
