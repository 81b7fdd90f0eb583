using InferenceMesh.Gateway;

// Development stand-in for Envoy: proxies :8081 through the ext_proc picker (Gateway:ExtProcAddress) to the chosen endpoint.
var builder = WebApplication.CreateBuilder(args);
builder.AddGateway();

var app = builder.Build();
app.UseGateway();
app.Run();
