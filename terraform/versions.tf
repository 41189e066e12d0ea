terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State holds generated secrets: keep it in an encrypted, private bucket. Uncomment and fill
  # in (or pass -backend-config=...) before the first `terraform init` of a shared deployment.
  # backend "s3" {
  #   bucket  = "my-terraform-state"
  #   key     = "acme-importer/terraform.tfstate"
  #   region  = "eu-west-1"
  #   encrypt = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Application = "acme-importer"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "zone-name"
    values = [for suffix in var.az_suffixes : "${var.region}${suffix}"]
  }
}

locals {
  name       = "acme-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  azs        = slice(data.aws_availability_zones.available.names, 0, 2)
  image      = "${aws_ecr_repository.app.repository_url}:${var.image_tag}"
}
