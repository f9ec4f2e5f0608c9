using System.Text.RegularExpressions;
using Lakehouse.Common;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Lakehouse.Host;

/// <summary>
/// The API described by OpenAPI at /openapi/v1.json, generated from the endpoints the process maps
/// (so a split process describes its own modules), and a browsable reference at /docs whose assets
/// the host serves itself: nothing is fetched from the internet.
/// </summary>
internal static partial class OpenApiDocument
{
    public static WebApplicationBuilder AddLakehouseOpenApi(this WebApplicationBuilder builder, LakehouseConfig config)
    {
        builder.Services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Lakehouse",
                    Version = "v1",
                    Description = "CSV in, Parquet datasets out, SQL and vector search over REST. The contract: docs/api.md.",
                };
                if (config.Auth.Keys.Count > 0) RequireBearerKeys(document);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(DeclareRouteParameters);
            options.AddOperationTransformer(DescribeErrors);
            options.AddOperationTransformer(DescribeRawBodies);
        });
        return builder;
    }

    public static WebApplication MapLakehouseOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", options => options.WithTitle("Lakehouse API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }

    /// <summary>With [auth] keys on, every operation needs a bearer key.</summary>
    static void RequireBearerKeys(Microsoft.OpenApi.OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An [auth] key: read_only keys may call the reads, read_write keys everything but the endpoints for modules.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
    }

    /// <summary>
    /// Every parameter of the route template is declared: the generator leaves catch-all ones
    /// ({**key}) out, which makes the document invalid (a path template naming an undeclared parameter).
    /// </summary>
    static Task DeclareRouteParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var template = context.Description.RelativePath ?? "";
        foreach (Match parameter in RouteParameter().Matches(template))
        {
            var name = parameter.Groups[1].Value;
            operation.Parameters ??= [];
            if (operation.Parameters.Any(p => p.Name == name && p.In == ParameterLocation.Path)) continue;
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Description = "An object key: '/'-separated segments (see docs/api.md, Storage).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        return Task.CompletedTask;
    }

    /// <summary>Endpoints that read their body as bytes (storage PUT, ingest) declare its content types; the document shows them as binary.</summary>
    static Task DescribeRawBodies(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RawRequestBody>().FirstOrDefault() is not { } body) return Task.CompletedTask;
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = body.ContentTypes.ToDictionary(type => type, _ => new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } }),
        };
        return Task.CompletedTask;
    }

    /// <summary>
    /// Every operation can fail with a 4XX or 5XX answer: problem+json (RFC 9457) under /v1, the
    /// protocol's error model under /iceberg (docs/api.md, Conventions).
    /// </summary>
    static Task DescribeErrors(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var iceberg = context.Description.RelativePath?.StartsWith("iceberg", StringComparison.Ordinal) == true;
        operation.Responses ??= [];
        foreach (var range in new[] { "4XX", "5XX" })
        {
            operation.Responses.TryAdd(range, new OpenApiResponse
            {
                Description = iceberg ? "The Iceberg REST error model." : "A problem (RFC 9457) whose detail names the field, line or limit.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [iceberg ? "application/json" : "application/problem+json"] = new() { Schema = iceberg ? IcebergError() : Problem() },
                },
            });
        }
        return Task.CompletedTask;
    }

    static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
        },
    };

    static OpenApiSchema IcebergError() => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["error"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                },
            },
        },
    };

    [GeneratedRegex(@"\{\*{0,2}([A-Za-z_][A-Za-z0-9_]*)[^}]*\}")]
    private static partial Regex RouteParameter();
}
