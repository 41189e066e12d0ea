# One customer-managed KMS key encrypts the logs, secrets, database, Redis, bucket and images.

resource "aws_kms_key" "main" {
  description             = "${local.name}: logs, secrets, database, Redis, uploads, images"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncrypt"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"
          }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.main.key_id
}

# --- secrets: the app reads them as ACME_DATABASE_URL, ACME_BROKER_URL, ACME_API_TOKEN and
# ACME_SECRET_KEY ---------------------------------------------------------------------------

resource "random_password" "db" {
  length  = 32
  special = false
}

resource "random_password" "redis" {
  length  = 48
  special = false
}

resource "random_password" "api_token" {
  length  = 48
  special = false
}

resource "random_password" "secret_key" {
  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "database_url" {
  #checkov:skip=CKV2_AWS_57:rotating needs the RDS password changed in step; rotate with `terraform apply -replace=random_password.db` and a service redeploy (README)
  name                    = "${local.name}/database-url"
  description             = "ACME_DATABASE_URL: SQLAlchemy URL of the RDS PostgreSQL database"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "postgresql+psycopg://acme:${random_password.db.result}@${aws_db_instance.main.address}:${aws_db_instance.main.port}/acme?sslmode=require"
}

resource "aws_secretsmanager_secret" "broker_url" {
  #checkov:skip=CKV2_AWS_57:the Redis auth token changes only with the replication group; rotate by replacing random_password.redis (README)
  name                    = "${local.name}/broker-url"
  description             = "ACME_BROKER_URL: Celery broker URL of the ElastiCache Redis (TLS and auth token)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "broker_url" {
  secret_id     = aws_secretsmanager_secret.broker_url.id
  secret_string = "rediss://:${random_password.redis.result}@${aws_elasticache_replication_group.main.primary_endpoint_address}:6379/0?ssl_cert_reqs=required"
}

resource "aws_secretsmanager_secret" "api_token" {
  #checkov:skip=CKV2_AWS_57:a new token signs everyone out; rotate on purpose with `terraform apply -replace=random_password.api_token` (README)
  name                    = "${local.name}/api-token"
  description             = "ACME_API_TOKEN: the bearer token of the API and the web UI login"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "api_token" {
  secret_id     = aws_secretsmanager_secret.api_token.id
  secret_string = random_password.api_token.result
}

resource "aws_secretsmanager_secret" "secret_key" {
  #checkov:skip=CKV2_AWS_57:a new key must be listed before the old one (new,old) and the migrate task run to re-encrypt; rotation is that manual step (README)
  name                    = "${local.name}/secret-key"
  description             = "ACME_SECRET_KEY: the key that encrypts webhook signing secrets in the database"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "secret_key" {
  secret_id     = aws_secretsmanager_secret.secret_key.id
  secret_string = random_password.secret_key.result
}

# --- logs ---------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_group" "flow" {
  name              = "/vpc/${local.name}/flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_group" "waf" {
  # WAF requires the aws-waf-logs- prefix
  name              = "aws-waf-logs-${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}
