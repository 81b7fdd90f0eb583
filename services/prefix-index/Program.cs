using InferenceMesh.Contracts;
using InferenceMesh.PrefixIndex;
using InferenceMesh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.PrefixIndex);
builder.AddPrefixIndex();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapPrefixIndexApi();
app.Run();
