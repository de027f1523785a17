package io.trackedge.token;

import io.trackedge.journal.EventFields;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Builds the public pixel and click URLs for a tracking domain. Thread-safe. */
public final class TrackingUrls {

    private final String base;
    private final TokenSigner signer;

    /** @param publicBaseUrl scheme and host the edge is reached at, e.g. {@code https://t.example.com} */
    public TrackingUrls(String publicBaseUrl, TokenSigner signer) {
        this.base = publicBaseUrl.endsWith("/") ? publicBaseUrl.substring(0, publicBaseUrl.length() - 1) : publicBaseUrl;
        this.signer = signer;
    }

    /** The base URL without a trailing slash; links under it are this edge's own. */
    public String baseUrl() {
        return base;
    }

    public String pixel(EventFields fields) {
        return base + "/o/" + signer.open(fields) + ".gif";
    }

    /** Click URL; the destination is normalized ({@link UrlPolicy#normalize}) before signing. */
    public String click(EventFields fields, String destination, boolean urlInToken) {
        String url = UrlPolicy.normalize(destination);
        String token = signer.click(fields, url, urlInToken);
        if (urlInToken) {
            return base + "/c/" + token;
        }
        return base + "/c/" + token + "?u=" + URLEncoder.encode(url, StandardCharsets.UTF_8);
    }
}
