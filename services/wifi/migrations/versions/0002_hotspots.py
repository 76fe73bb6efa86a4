"""hotspots, reports, status periods, maintenance windows, incidents, monthly reports

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hotspots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("site_name", sa.String(200), nullable=False),
        sa.Column("host_business", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("ap_model", sa.String(100), nullable=False),
        sa.Column("ap_serial", sa.String(100), nullable=False),
        sa.Column("ap_mac", sa.String(17), nullable=False),
        sa.Column("placement", sa.String(10), nullable=False),
        sa.Column("report_interval_s", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_reason", sa.String(300), nullable=False),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed", sa.String(20), nullable=True),
        sa.Column("candidate", sa.String(20), nullable=True),
        sa.Column("streak", sa.Integer, nullable=False),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hotspot_id", sa.String(36), sa.ForeignKey("hotspots.id"), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uplink_ok", sa.Boolean, nullable=False),
        sa.Column("clients", sa.Integer, nullable=False),
        sa.Column("backhaul_mbps", sa.Float, nullable=True),
        sa.Column("notes", sa.String(500), nullable=True),
        sa.Column("via", sa.String(10), nullable=False),
        sa.UniqueConstraint("hotspot_id", "reported_at", name="uq_reports_hotspot_time"),
    )
    op.create_table(
        "status_periods",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hotspot_id", sa.String(36), sa.ForeignKey("hotspots.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_status_periods_hotspot_start", "status_periods", ["hotspot_id", "started_at"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("hotspot_id", sa.String(36), sa.ForeignKey("hotspots.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_maintenance_windows_hotspot", "maintenance_windows", ["hotspot_id", "starts_at"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hotspot_ids", sa.Text, nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
    )
    op.create_table(
        "monthly_reports",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("monthly_reports")
    op.drop_table("incidents")
    op.drop_index("ix_maintenance_windows_hotspot", "maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_index("ix_status_periods_hotspot_start", "status_periods")
    op.drop_table("status_periods")
    op.drop_table("reports")
    op.drop_table("hotspots")
