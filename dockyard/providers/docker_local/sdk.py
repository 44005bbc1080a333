"""The docker SDK's exceptions and request types, for the container services: the SDK is
imported in providers only (the `clients-in-providers` import contract), and its clients are
made in `host_engine` and `tcp_client`. Import this module lazily (it imports the SDK)."""

from __future__ import annotations

import docker.errors
import docker.types

APIError = docker.errors.APIError
DockerException = docker.errors.DockerException
ImageNotFound = docker.errors.ImageNotFound
NotFound = docker.errors.NotFound

ContainerSpec = docker.types.ContainerSpec
DriverConfig = docker.types.DriverConfig
EndpointSpec = docker.types.EndpointSpec
Mount = docker.types.Mount
RestartPolicy = docker.types.RestartPolicy
ServiceMode = docker.types.ServiceMode
TaskTemplate = docker.types.TaskTemplate
