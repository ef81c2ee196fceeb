package dev.powernode.server.api;

import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Errors raised outside Spring MVC (the container, filters) still answer in problem+json. */
@RestController
class ErrorPageController implements ErrorController {
    private final ProblemWriter problems;

    ErrorPageController(ProblemWriter problems) {
        this.problems = problems;
    }

    @RequestMapping("/error")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        return problems.entity(
                Problem.ofStatus(code instanceof Integer i ? i : 500), uri == null ? null : uri.toString());
    }
}
