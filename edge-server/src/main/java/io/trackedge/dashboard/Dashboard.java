package io.trackedge.dashboard;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.trackedge.http.Readiness;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.stats.StatsService;
import io.trackedge.workers.WorkerAnswers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard on the admin listener: {@code /dashboard} (overview), {@code /dashboard/campaign?id=},
 * {@code /dashboard/mailboxes}, {@code /dashboard/pipeline} (+ {@code pipeline.json} it polls),
 * {@code /dashboard/login}, {@code /dashboard/logout}, and the files under {@code /static/} (uPlot,
 * the page script and style), all from the jar: no CDN.
 *
 * <p>The tenant is the login's: a read key (and, for a key of every tenant, a tenant) kept in
 * HttpOnly cookies, sent with every stats call as the bearer key, so a session sees what the key
 * may read through the API and row-level security, nothing else. Pages are compiled jte templates
 * ({@code src/main/jte}); building one calls the API, so it runs on a small worker pool of its own.
 */
public final class Dashboard implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
    static final String KEY_COOKIE = "te_key";
    static final String TENANT_COOKIE = "te_tenant";

    /** What the admin handler writes. */
    public record Response(int status, String contentType, byte[] body, Map<String, List<String>> headers) {
        static Response html(int status, String body) {
            return new Response(status, "text/html; charset=utf-8", body.getBytes(StandardCharsets.UTF_8), Map.of());
        }

        static Response redirect(String to, List<String> cookies) {
            return new Response(303, "text/plain", new byte[0], Map.of("Location", List.of(to), "Set-Cookie", cookies));
        }
    }

    private final StatsService stats;
    private final DashboardPages pages;
    private final PipelineFigures pipeline;
    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(16),
            r -> {
                Thread t = new Thread(r, "dashboard");
                t.setDaemon(true);
                return t;
            });

    public Dashboard(StatsService stats, EdgeMetrics metrics, Readiness readiness) {
        this.stats = stats;
        this.pages = new DashboardPages(stats);
        this.pipeline = new PipelineFigures(metrics, readiness);
    }

    public static boolean handles(String path) {
        return path.equals("/dashboard") || path.startsWith("/dashboard/") || path.startsWith("/static/");
    }

    /**
     * Answers a request (never on the caller's thread when it needs the API).
     *
     * @param cookieHeader the {@code Cookie} header or null; {@code body} the form of a POST, else ""
     * @param sameOrigin false when the browser said the request comes from another site ({@link #sameOrigin})
     */
    public CompletableFuture<Response> handle(String method, String uri, String cookieHeader, String body, boolean sameOrigin) {
        try {
            return route(method, uri, cookieHeader, body, sameOrigin);
        } catch (IllegalArgumentException e) { // a bad %-escape in the path or the query, which Netty decodes lazily
            return CompletableFuture.completedFuture(Response.html(400,
                    "<!doctype html><title>bad request</title>the URL's %-escapes do not decode"));
        }
    }

    private CompletableFuture<Response> route(String method, String uri, String cookieHeader, String body, boolean sameOrigin) {
        QueryStringDecoder q = new QueryStringDecoder(uri);
        String path = q.path();
        if (path.startsWith("/static/")) {
            return CompletableFuture.completedFuture(file(path.substring("/static/".length())));
        }
        if (path.equals("/dashboard/login")) {
            if (method.equals("POST") && !sameOrigin) {
                // Login CSRF: a page elsewhere posting its own key would have this browser show that key's tenant.
                return CompletableFuture.completedFuture(Response.html(403,
                        "<!doctype html><title>refused</title>a login must come from this dashboard's own page"));
            }
            return method.equals("POST") ? async(() -> login(body)) : CompletableFuture.completedFuture(loginPage(null));
        }
        if (path.equals("/dashboard/logout")) {
            return CompletableFuture.completedFuture(Response.redirect("/dashboard/login", List.of(
                    KEY_COOKIE + "=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict",
                    TENANT_COOKIE + "=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict")));
        }
        Map<String, String> cookies = new HashMap<>();
        if (cookieHeader != null) {
            for (Cookie c : ServerCookieDecoder.LAX.decode(cookieHeader)) {
                cookies.put(c.name(), c.value());
            }
        }
        String key = cookies.get(KEY_COOKIE);
        if (key == null || key.isEmpty()) {
            return CompletableFuture.completedFuture(Response.redirect("/dashboard/login", List.of()));
        }
        DashboardPages.Session session = new DashboardPages.Session("Bearer " + key, cookies.get(TENANT_COOKIE));
        String range = param(q, "range", "7d");
        if (!DashboardPages.RANGES.containsKey(range)) {
            range = "7d";
        }
        String r = range;
        return switch (path) {
            case "/dashboard", "/dashboard/" -> async(() -> page(() -> pages.overview(session, r)));
            case "/dashboard/campaign" -> async(() -> page(() -> pages.campaign(session, r, param(q, "id", ""))));
            case "/dashboard/mailboxes" -> async(() -> page(() -> pages.mailboxes(session, r)));
            case "/dashboard/pipeline" -> async(() -> page(() -> {
                pages.mayReadNode(session); // the whole node: every tenant's volumes, jobs and errors
                return pipelineView();
            }, true));
            case "/dashboard/pipeline.json" -> async(() -> pipelineJson(session));
            default -> CompletableFuture.completedFuture(Response.html(404, "<!doctype html><title>not found</title>not found"));
        };
    }

    /**
     * Whether a request's {@code Origin} (else its {@code Referer}) names this listener's {@code Host}: browsers
     * send one on a form's POST. Neither given (a client that is not a browser): true.
     */
    public static boolean sameOrigin(String origin, String referer, String host) {
        String from = origin != null ? origin : referer;
        if (from == null) {
            return true;
        }
        if (host == null) {
            return false;
        }
        for (String scheme : new String[] {"http://", "https://"}) {
            String own = scheme + host;
            if (from.equalsIgnoreCase(own) || from.regionMatches(true, 0, own + "/", 0, own.length() + 1)) {
                return true;
            }
        }
        return false;
    }

    private interface ViewMaker {
        View make() throws DashboardPages.ApiError, IOException;
    }

    private CompletableFuture<Response> async(WorkerAnswers.Work<Response> a) {
        return WorkerAnswers.submit(pool, a, e -> {
            // The message stays in the log: a query's can quote it.
            log.error("dashboard page failed", e);
            return Response.html(500, "<!doctype html><title>error</title>the page failed (the edge's log has the cause)");
        }, () -> Response.html(503, "<!doctype html><title>busy</title>the dashboard is busy; retry shortly"));
    }

    private Response page(ViewMaker make) throws IOException {
        return page(make, false);
    }

    /**
     * @param forbiddenShown a 403 answered as a page saying why, not as the login page: logging in again helps
     *     where a tenant cookie names a tenant the key may not read, not where the page needs another kind of key
     *     (the pipeline's, refused to a key of one tenant, whose session is still open)
     */
    private Response page(ViewMaker make, boolean forbiddenShown) throws IOException {
        try {
            return Response.html(200, render("page.jte", make.make()));
        } catch (DashboardPages.ApiError e) {
            if (e.status == 401 || e.status == 403 && !forbiddenShown) {
                return loginPage(e.getMessage());
            }
            return Response.html(e.status, render("page.jte", new View("Error", "", "7d", e.getMessage(), List.of(), List.of(),
                    List.of(), false)));
        }
    }

    /**
     * Decided by the key cache alone, as the API would decide it, with no query: the pipeline page, which
     * shows the sinks' lag while PostgreSQL is down, must be reachable then too.
     */
    private Response login(String body) {
        QueryStringDecoder form = new QueryStringDecoder("?" + body);
        String key;
        String tenant;
        try {
            key = param(form, "key", "").trim();
            tenant = param(form, "tenant", "").trim();
        } catch (IllegalArgumentException e) {
            return loginPage("the form's %-escapes do not decode");
        }
        try {
            pages.mayRead(new DashboardPages.Session("Bearer " + key, tenant));
        } catch (DashboardPages.ApiError e) {
            return loginPage(e.getMessage());
        }
        return Response.redirect("/dashboard", List.of(
                KEY_COOKIE + "=" + key + "; Path=/dashboard; HttpOnly; SameSite=Strict",
                TENANT_COOKIE + "=" + tenant + "; Path=/dashboard; HttpOnly; SameSite=Strict"));
    }

    private Response loginPage(String error) {
        StringOutput out = new StringOutput();
        templates.render("login.jte", error == null ? "" : error, out);
        return Response.html(error == null ? 200 : 401, out.toString());
    }

    private View pipelineView() throws IOException {
        Map<String, Double> now = pipeline.now();
        List<View.Figure> figures = new java.util.ArrayList<>();
        now.forEach((k, v) -> figures.add(new View.Figure(k, k.replace("edge_", "").replace('_', ' '),
                v == Math.rint(v) ? String.valueOf(v.longValue()) : String.valueOf(v))));
        List<List<View.Cell>> checks = new java.util.ArrayList<>();
        pipeline.checks().forEach((k, v) -> checks.add(List.of(View.Cell.of(k), View.Cell.of(v))));
        String chart = "{\"x\":[],\"series\":[{\"label\":\"events journaled /s\",\"values\":[]},"
                + "{\"label\":\"sink lag (events)\",\"values\":[]}],\"kind\":\"live\"}";
        return new View("Live pipeline", "pipeline", "7d", "this node: journal, sinks, ingest and jobs, polled every 2 s",
                figures, List.of(new View.Chart("live", "Ingest rate and sink lag", chart)),
                List.of(new View.Table("checks", "Readiness", List.of("check", "state"), List.of("check", "state"), checks)), true);
    }

    /**
     * The pipeline's figures, for a session whose key still reads every tenant (as the page it refreshes). The key
     * is checked without a query: the page polls every 2 s, and must keep working while PostgreSQL is
     * down, which is when its sink lag matters most.
     */
    private Response pipelineJson(DashboardPages.Session session) throws IOException {
        try {
            pages.mayReadNode(session);
        } catch (DashboardPages.ApiError e) {
            byte[] body = DashboardPages.JSON.writeValueAsBytes(Map.of("error", e.getMessage()));
            return new Response(e.status, "application/json", body, Map.of());
        }
        Map<String, Object> out = new java.util.LinkedHashMap<>(pipeline.now());
        out.put("t", System.currentTimeMillis() / 1000.0);
        return new Response(200, "application/json", DashboardPages.JSON.writeValueAsBytes(out), Map.of());
    }

    private String render(String template, Object model) {
        StringOutput out = new StringOutput();
        templates.render(template, model, out);
        return out.toString();
    }

    private Response file(String name) {
        if (!name.matches("[A-Za-z0-9_./-]+") || name.contains("..")) {
            return new Response(404, "text/plain", "not found\n".getBytes(StandardCharsets.US_ASCII), Map.of());
        }
        byte[] bytes = files.computeIfAbsent(name, n -> {
            try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream("static/" + n)) {
                return in == null ? new byte[0] : in.readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        if (bytes.length == 0) {
            files.remove(name);
            return new Response(404, "text/plain", "not found\n".getBytes(StandardCharsets.US_ASCII), Map.of());
        }
        String type = name.endsWith(".js") ? "text/javascript; charset=utf-8" : name.endsWith(".css") ? "text/css; charset=utf-8"
                : "text/plain; charset=utf-8";
        return new Response(200, type, bytes, Map.of("Cache-Control", List.of("max-age=3600")));
    }

    private static String param(QueryStringDecoder q, String name, String dflt) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() ? dflt : v.get(0);
    }

    /** The stats service the pages call, for tests. */
    StatsService stats() {
        return stats;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
