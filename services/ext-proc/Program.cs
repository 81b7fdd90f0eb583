using InferenceMesh.Contracts;
using InferenceMesh.ExtProc.BodyRouting;
using InferenceMesh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.ExtProc);
// The Endpoint Picker, or with BodyRouting:Enabled=true the body-based router that runs before route selection.
builder.AddExtProcOrBodyRouting();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapExtProcOrBodyRoutingApi();
app.Run();
