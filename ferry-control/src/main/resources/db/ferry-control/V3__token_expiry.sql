-- When a token stops being valid (NULL: never); a call with an expired token gets 401 saying so.
ALTER TABLE token ADD COLUMN expire_time TIMESTAMPTZ;
