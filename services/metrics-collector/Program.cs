using InferenceMesh.Contracts;
using InferenceMesh.MetricsCollector;
using InferenceMesh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.MetricsCollector);
builder.AddMetricsCollector();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapMetricsCollectorApi();
app.Run();
