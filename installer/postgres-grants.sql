-- Wardroom on PostgreSQL: what each kind of process may do (run as the database's owner, after
-- every `wardroom db upgrade`; running it again is harmless).
--   wardroom_station  runs `wardroom station`: owns devices, journals alarms, writes the live tables
--   wardroom_console  runs `wardroom gui --console` and the operators' CLI: reads, acts on alarms,
--                     asks stations for plant writes and drills
GRANT SELECT ON ALL TABLES IN SCHEMA public TO wardroom_station, wardroom_console;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wardroom_station, wardroom_console;
-- both: operator actions on alarms, their audit rows, sign-in bookkeeping, device requests
GRANT INSERT, UPDATE ON alarm_occurrences, alarm_transitions, operator_actions, audit_log, audit_head,
    device_requests TO wardroom_station, wardroom_console;
GRANT UPDATE ON users TO wardroom_station, wardroom_console;
-- stations only: the site sync, the historian (and its purge), leases, the live tables
GRANT INSERT, UPDATE ON sites, buildings, floors, zones, plcs, points, cameras, camera_zones,
    alarm_definitions, point_samples, stations, leases, live_points, live_links, bus_counters
    TO wardroom_station;
GRANT DELETE ON point_samples, leases TO wardroom_station;
