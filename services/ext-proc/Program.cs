using InferenceMesh.Contracts;
using InferenceMesh.ExtProc;
using InferenceMesh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.ExtProc);
builder.AddExtProc();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapExtProcApi();
app.Run();
