package io.trackedge.sink.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The later days whose roll-ups count a "first" a re-score's moves shifted ({@link Rescore}): a scanner's
 * click on Monday made human leaves Tuesday's first human click counted first too, and the reverse leaves
 * it uncounted, unless Tuesday's roll-ups run again.
 */
final class ShiftedFirsts {

    /** An email of a tenant. */
    record Email(UUID tenant, String email) {
    }

    // The later firsts' tenants and UTC days: each the email's next one of a kind after its earliest move.
    private static final String LATER_FIRSTS = LateDays.laterFirsts("DISTINCT t, (first_at AT TIME ZONE 'UTC')::date", "");

    private ShiftedFirsts() {
    }

    /** @param movedFrom per email, the earliest UTC day one of its opens or clicks moved between human and machine */
    static List<Rescore.TenantDay> laterDays(Connection c, Map<Email, LocalDate> movedFrom) throws SQLException {
        List<Rescore.TenantDay> out = new ArrayList<>();
        if (movedFrom.isEmpty()) {
            return out;
        }
        Array t = c.createArrayOf("uuid", movedFrom.keySet().stream().map(Email::tenant).toArray());
        Array em = c.createArrayOf("text", movedFrom.keySet().stream().map(Email::email).toArray());
        Array d = c.createArrayOf("date", movedFrom.values().toArray());
        try (PreparedStatement s = c.prepareStatement(LATER_FIRSTS)) {
            s.setArray(1, t);
            s.setArray(2, em);
            s.setArray(3, d);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Rescore.TenantDay(r.getObject(1, UUID.class), r.getObject(2, LocalDate.class)));
                }
            }
        } finally {
            t.free();
            em.free();
            d.free();
        }
        return out;
    }
}
