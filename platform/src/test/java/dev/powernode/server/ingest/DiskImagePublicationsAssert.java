package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.server.support.Api;
import org.assertj.core.api.ListAssert;

final class DiskImagePublicationsAssert {
    private DiskImagePublicationsAssert() {}

    /** The publication's states in history order. */
    static ListAssert<String> historyOf(Api api, String id) {
        Api.Response r = api.get("/api/v1/system/disk_image_publications/" + id + "/history");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return assertThat(r.json().get("data").findValuesAsString("to"));
    }
}
