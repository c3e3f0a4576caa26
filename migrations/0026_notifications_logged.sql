-- Notifications join the change log: a console's worklist keeps its notices until one is
-- written or read (before, every reload read them again, ~3 ms on the large demo book, since
-- nothing said whether they had changed), and the inbox follows a new note live.
CREATE TRIGGER notifications_change_log AFTER INSERT OR UPDATE OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION log_change();
