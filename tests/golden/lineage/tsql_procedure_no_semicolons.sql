-- dialect: tsql
CREATE PROCEDURE dbo.refresh_facts
AS
BEGIN
    SET NOCOUNT ON
    TRUNCATE TABLE dbo.fact_sales
    INSERT INTO dbo.fact_sales (sale_id, amount)
    SELECT s.id, s.amount FROM dbo.sales s WHERE s.amount > 0
    UPDATE f SET f.amount += a.adjustment FROM dbo.fact_sales f JOIN dbo.adjustments a ON a.sale_id = f.sale_id
END
GO
