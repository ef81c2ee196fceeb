/**
 * The Gitea Actions client: repository Actions secrets, runner registration tokens, workflow
 * dispatch, runs, jobs and job logs (Gitea 1.25+; the API as Gitea 1.26.3 describes it).
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"shared"})
package dev.powernode.server.gitea;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
