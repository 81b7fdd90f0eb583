using InferenceMesh.Contracts;
using InferenceMesh.Scheduler;
using InferenceMesh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.Scheduler);
builder.AddScheduler();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapSchedulerApi();
app.Run();
