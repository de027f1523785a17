package io.trackedge.jobs.rollup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Statements with named parameters: {@code {start}}, {@code {end}}, {@code {date}},
 * {@code {tenant}} and the like are bound by name from a map, so one text serves every tenant
 * filter and period without counting question marks. A name missing from the map throws.
 */
final class Sql {

    private static final Pattern PARAM = Pattern.compile("\\{([a-z_]+)\\}");

    private Sql() {
    }

    /** {@code AND <column> = {tenant}} when a tenant is given, else nothing. */
    static String tenantFilter(String column, Object tenantOrNull) {
        return tenantOrNull == null ? "" : " AND " + column + " = {tenant}";
    }

    static int update(Connection c, String template, Map<String, Object> params) throws SQLException {
        try (PreparedStatement s = prepare(c, template, params)) {
            return s.executeUpdate();
        }
    }

    static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The first row of a query, mapped; the query must return a row. */
    static <T> T one(Connection c, String template, Map<String, Object> params, RowMapper<T> map) throws SQLException {
        try (PreparedStatement s = prepare(c, template, params); ResultSet r = s.executeQuery()) {
            if (!r.next()) {
                throw new IllegalStateException("no row from " + template);
            }
            return map.map(r);
        }
    }

    static boolean exists(Connection c, String template, Map<String, Object> params) throws SQLException {
        return one(c, "SELECT EXISTS (" + template + ")", params, r -> r.getBoolean(1));
    }

    /** Reads one row. */
    interface RowMapper<T> {
        T map(ResultSet r) throws SQLException;
    }

    private static PreparedStatement prepare(Connection c, String template, Map<String, Object> params) throws SQLException {
        List<Object> values = new ArrayList<>();
        String sql = expand(template, name -> {
            if (!params.containsKey(name)) {
                throw new IllegalArgumentException("no value for {" + name + "} in " + template);
            }
            values.add(params.get(name));
            return "?";
        });
        PreparedStatement s = c.prepareStatement(sql);
        try {
            for (int i = 0; i < values.size(); i++) {
                s.setObject(i + 1, values.get(i));
            }
            return s;
        } catch (SQLException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    static String expand(String template, Function<String, String> replacement) {
        Matcher m = PARAM.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(replacement.apply(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }
}
