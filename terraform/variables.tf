variable "region" {
  description = "AWS region to deploy into, e.g. eu-west-1."
  type        = string
  default     = "eu-west-1"
}

variable "az_suffixes" {
  description = "The two availability zones to use, as letters after the region name (a, b -> eu-west-1a, eu-west-1b)."
  type        = list(string)
  default     = ["a", "b"]
}

variable "environment" {
  description = "Short environment name used in resource names (prod, staging, ...)."
  type        = string
  default     = "prod"
}

variable "domain_name" {
  description = "Public host name users open (e.g. importer.example.com); point a DNS CNAME/alias at the load balancer."
  type        = string
}

variable "certificate_arn" {
  description = "ARN of an ACM certificate for domain_name, in the same region (the load balancer serves TLS with it)."
  type        = string
}

variable "image_tag" {
  description = "Tag of the image pushed to the ECR repository (tags are immutable: use a new tag per release, e.g. the git SHA)."
  type        = string
  default     = "v1"
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC (two public and two private subnets are carved from it)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "web_count" {
  description = "Number of web (acme serve) tasks behind the load balancer."
  type        = number
  default     = 2
}

variable "web_cpu" {
  description = "CPU units of one web task (1024 = 1 vCPU)."
  type        = number
  default     = 512
}

variable "web_memory" {
  description = "Memory of one web task, MiB."
  type        = number
  default     = 1024
}

variable "worker_cpu" {
  description = "CPU units of one worker task (imports are CPU and database bound)."
  type        = number
  default     = 1024
}

variable "worker_memory" {
  description = "Memory of one worker task, MiB."
  type        = number
  default     = 2048
}

variable "worker_min_count" {
  description = "Fewest worker (acme worker) tasks kept running."
  type        = number
  default     = 1
}

variable "worker_max_count" {
  description = "Most worker tasks the queue-depth autoscaling may start."
  type        = number
  default     = 4
}

variable "worker_scale_out_depth" {
  description = "Messages waiting in the Celery queue that add a worker task."
  type        = number
  default     = 1
}

variable "task_queue" {
  description = "Celery queue the imports go through (ACME_TASK_QUEUE); its depth scales the workers."
  type        = string
  default     = "acme-imports"
}

variable "alb_idle_timeout" {
  description = "Load balancer idle timeout, seconds: longer than the slowest upload part (a chunk of several MiB on a slow link) and SSE keep-alive interval."
  type        = number
  default     = 300
}

variable "db_instance_class" {
  description = "RDS instance class for PostgreSQL."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "Initial RDS storage, GiB (grows automatically up to 5x)."
  type        = number
  default     = 50
}

variable "db_multi_az" {
  description = "Run PostgreSQL with a standby in the second availability zone (recommended for production)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "redis_node_type" {
  description = "ElastiCache node type for the Redis broker."
  type        = string
  default     = "cache.t4g.small"
}

variable "upload_retention_days" {
  description = "Days an uploaded CSV (finished or abandoned) is kept in the uploads bucket before the lifecycle rule deletes it."
  type        = number
  default     = 7
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the application logs."
  type        = number
  default     = 365
}
