-- Delivery reports from SMS gateways: the latest status code (Kannel: 1 delivered, 2 failed,
-- 4 buffered, 8 accepted by the SMSC, 16 rejected by the SMSC) and when it came.
ALTER TABLE deliveries ADD COLUMN report_status BIGINT;
ALTER TABLE deliveries ADD COLUMN report_at BIGINT;
