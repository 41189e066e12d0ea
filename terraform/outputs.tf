output "url" {
  description = "Where the app is served (point domain_name's DNS at load_balancer_dns_name)."
  value       = "https://${var.domain_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer: the target of domain_name's CNAME or alias record."
  value       = aws_lb.web.dns_name
}

output "ecr_repository_url" {
  description = "Push the image here (docker tag/push <url>:<image_tag>)."
  value       = aws_ecr_repository.app.repository_url
}

output "cluster_name" {
  description = "ECS cluster name (for `aws ecs run-task` and `aws ecs update-service`)."
  value       = aws_ecs_cluster.main.name
}

output "migrate_task_definition" {
  description = "Task definition that runs `acme db upgrade` once; run it before each release."
  value       = aws_ecs_task_definition.migrate.family
}

output "private_subnet_ids" {
  description = "Subnets for one-off tasks (the migration)."
  value       = aws_subnet.private[*].id
}

output "app_security_group_id" {
  description = "Security group for one-off tasks (the migration)."
  value       = aws_security_group.app.id
}

output "api_token_secret_arn" {
  description = "Secrets Manager secret holding ACME_API_TOKEN (read it with `aws secretsmanager get-secret-value`)."
  value       = aws_secretsmanager_secret.api_token.arn
}

output "uploads_bucket" {
  description = "S3 bucket holding uploads (ACME_STORAGE_URL)."
  value       = aws_s3_bucket.uploads.bucket
}
