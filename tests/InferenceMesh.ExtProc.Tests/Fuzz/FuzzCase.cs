using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.Tests.Fuzz;

/// <summary>One fuzz input as the few numbers FsCheck generates (and shrinks); <see cref="Messages"/> turns them into the
/// ProcessingRequests of one ext_proc stream: a realistic body with one structured mutation (truncation, depth,
/// encodings, types, sizes), chunked, with or without end_of_stream, with hostile headers and out-of-order messages.</summary>
internal sealed record FuzzCase(int Mode, int Template, int Mutation, int Position, int Size, int ChunkSize, bool HeadersEnd, bool BodyEnd, int Order, int HeaderVariant)
{
    public const int Mutations = 18;

    /// <summary>Body limit the fuzz picker runs with (bodies past it must be a 413).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private const int MaxChunks = 256;

    private static readonly string[] Templates =
    [
        """{"model":"chat","prompt":"Write a haiku about the sea. It should mention waves, salt and the moon, and end quietly.","max_tokens":16}""",
        """{"model":"chat","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Summarise the plot of Hamlet in two sentences please."}],"stream":true}""",
        """{"model":"other-model","messages":[{"role":"user","content":[{"type":"text","text":"describe"},{"type":"image_url","image_url":{"url":"data:,x"}}]}]}""",
        """{"model":"chat","input":"tab\there \"quoted\" \u00e9 \ud83d\ude00 line\nbreak","stream":false}""",
        """{"model":"chat","prompt":[1,2,3,4,5,6,7,8,9,10,11,12],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}}}}}}}]}""",
        """{"stream":true,"max_tokens":3,"model":"vip","prompt":"short"}""",
        """{"model":"chat","messages":[],"prompt":"both"}""",
        """{"model":"","prompt":"empty model"}""",
    ];

    private static readonly ProcessingMode.Types.BodySendMode[] Modes =
    [
        ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
        ProcessingMode.Types.BodySendMode.Streamed,
        ProcessingMode.Types.BodySendMode.Buffered,
        ProcessingMode.Types.BodySendMode.None,
    ];

    /// <summary>Declared after the tables it reads (static fields initialize in order).</summary>
    public static Gen<FuzzCase> Generator { get; } =
        from mode in Gen.Choose(0, 3)
        from template in Gen.Choose(0, Templates.Length - 1)
        from mutation in Gen.Choose(0, Mutations - 1)
        from position in Gen.Choose(0, int.MaxValue)
        from size in Gen.Choose(0, 1 << 20)
        from chunk in Gen.Frequency((3, Gen.Choose(1, 64)), (3, Gen.Choose(65, 70_000)), (1, Gen.Constant(int.MaxValue)))
        from headersEnd in Gen.Frequency((1, Gen.Constant(true)), (9, Gen.Constant(false)))
        from bodyEnd in Gen.Frequency((5, Gen.Constant(true)), (1, Gen.Constant(false)))
        from order in Gen.Frequency((8, Gen.Constant(0)), (3, Gen.Choose(1, 7)))
        from headerVariant in Gen.Choose(0, 15)
        select new FuzzCase(mode, template, mutation, position, size, chunk, headersEnd, bodyEnd, order, headerVariant);

    /// <summary>The stream's messages, in the order a (possibly misbehaving) proxy would send them.</summary>
    public List<ProcessingRequest> Messages()
    {
        var body = Body();
        var headers = Headers(body.Length);
        var chunks = new List<ProcessingRequest>();
        // Tiny chunks for small bodies; at most MaxChunks messages for big ones (a 300 KB body in 1-byte chunks tests
        // nothing a 64-byte chunking does not, and would dominate the run).
        var size = Math.Max(Math.Max(1, ChunkSize), body.Length / MaxChunks);
        for (var i = 0; i < body.Length; i += size)
        {
            var n = Math.Min(size, body.Length - i);
            chunks.Add(new ProcessingRequest { RequestBody = new HttpBody { Body = ByteString.CopyFrom(body, i, n), EndOfStream = BodyEnd && i + n >= body.Length } });
        }
        if (chunks.Count == 0 && BodyEnd)
            chunks.Add(new ProcessingRequest { RequestBody = new HttpBody { EndOfStream = true } });

        var messages = new List<ProcessingRequest>();
        switch (Order)
        {
            case 1: // body before headers
                messages.AddRange(chunks);
                messages.Add(headers);
                break;
            case 2: // no headers at all
                messages.AddRange(chunks);
                break;
            case 3: // a response phase first
                messages.Add(new ProcessingRequest { ResponseHeaders = new HttpHeaders { EndOfStream = true } });
                messages.Add(headers);
                messages.AddRange(chunks);
                break;
            case 4: // a message without a phase
                messages.Add(headers);
                messages.Add(new ProcessingRequest());
                messages.AddRange(chunks);
                break;
            case 5: // trailers end the request instead
                messages.Add(headers);
                messages.AddRange(chunks);
                messages.Add(new ProcessingRequest { RequestTrailers = new HttpTrailers() });
                break;
            case 6: // headers twice
                messages.Add(headers);
                messages.Add(headers);
                messages.AddRange(chunks);
                break;
            case 7: // body after its end
                messages.Add(headers);
                messages.AddRange(chunks);
                messages.Add(new ProcessingRequest { RequestBody = new HttpBody { Body = ByteString.CopyFromUtf8("{}"), EndOfStream = true } });
                break;
            default:
                messages.Add(headers);
                messages.AddRange(chunks);
                break;
        }
        return messages;
    }

    private ProcessingRequest Headers(int bodyLength)
    {
        var map = new HeaderMap();
        map.Headers.Add(EnvoyMessages.Header(":method", "POST"));
        map.Headers.Add(EnvoyMessages.Header(":path", "/v1/completions"));
        var junk = new string((char)('a' + (Position % 26)), 1 + (Size % 4096));
        switch (HeaderVariant)
        {
            case 1: map.Headers.Add(EnvoyMessages.Header("content-length", bodyLength.ToString(System.Globalization.CultureInfo.InvariantCulture))); break;
            case 2: map.Headers.Add(EnvoyMessages.Header("content-length", "-5")); break;
            case 3: map.Headers.Add(EnvoyMessages.Header("content-length", "99999999999999999999")); break;
            case 4: map.Headers.Add(EnvoyMessages.Header("content-length", "9000000000")); break;
            case 5: map.Headers.Add(EnvoyMessages.Header(HeaderNames.InferenceObjective, "vip")); break;
            case 6: map.Headers.Add(EnvoyMessages.Header(HeaderNames.InferenceObjective, junk)); break;
            case 7: map.Headers.Add(EnvoyMessages.Header(HeaderNames.ModelNameRewrite, junk)); break;
            case 8: map.Headers.Add(EnvoyMessages.Header(HeaderNames.FairnessId, junk)); break;
            case 9: map.Headers.Add(EnvoyMessages.Header(HeaderNames.RequestId, junk)); break;
            case 10: map.Headers.Add(new HeaderValue { Key = HeaderNames.InferenceObjective, RawValue = ByteString.CopyFrom(0xFF, 0xFE, 0x00) }); break;
            case 11: map.Headers.Add(new HeaderValue { Key = "content-length", Value = "12" }); break;
            case 12: map.Headers.Add(EnvoyMessages.Header(HeaderNames.RequestId, "")); break;
            default: break;
        }
        var request = new ProcessingRequest { RequestHeaders = new HttpHeaders { Headers = map, EndOfStream = HeadersEnd } };
        if (Mode != 3)
            request.ProtocolConfig = new ProtocolConfiguration { RequestBodyMode = Modes[Mode], ResponseBodyMode = Modes[Mode] };
        return request;
    }

    private byte[] Body()
    {
        var text = Templates[Template];
        var random = new Random(Position);
        var bytes = Encoding.UTF8.GetBytes(text);
        var at = bytes.Length == 0 ? 0 : Position % bytes.Length;
        switch (Mutation)
        {
            case 1: return bytes[..at];
            case 2: return [.. bytes[..at], (byte)(Size % 256), .. bytes[at..]];
            case 3:
                {
                    byte[][] invalid = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]];
                    return [.. bytes[..at], .. invalid[Size % invalid.Length], .. bytes[at..]];
                }
            case 4:
                {
                    var depth = Size % 400;
                    return Encoding.UTF8.GetBytes("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":" + new string('[', depth) + "1" + new string(']', depth) + "}]}");
                }
            case 5: return Encoding.UTF8.GetBytes("{\"model\":\"" + new string('m', Size % 300_000) + "\",\"prompt\":\"x\"}");
            case 6:
                {
                    string[] values = ["1", "[\"chat\"]", "{\"name\":\"chat\"}", "null", "true", "\"\"", "1e999"];
                    return Encoding.UTF8.GetBytes("{\"model\":" + values[Size % values.Length] + ",\"prompt\":\"x\"}");
                }
            case 7:
                {
                    string[] escapes = ["\\ud800", "\\udfff", "\\ud800\\u0041", "\\u00", "\\x41", "\\uZZZZ"];
                    var where = Size % 3 == 0 ? "model" : Size % 3 == 1 ? "prompt" : "content";
                    var e = escapes[Position % escapes.Length];
                    return Encoding.UTF8.GetBytes(where == "content"
                        ? "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"a" + e + "b\"}]}"
                        : where == "model" ? "{\"model\":\"" + e + "\",\"prompt\":\"x\"}" : "{\"model\":\"chat\",\"prompt\":\"a" + e + "b\"}");
                }
            case 8: return Encoding.UTF8.GetBytes("{\"model\":\"chat\",\"model\":\"vip\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"messages\":\"not-an-array\"}");
            case 9: return [0xEF, 0xBB, 0xBF, .. bytes];
            case 10: return [];
            case 11: return Encoding.UTF8.GetBytes(Size % 2 == 0 ? "[" + text + "]" : "\"" + text.Replace("\"", "'", StringComparison.Ordinal) + "\"");
            case 12: return [.. bytes, .. "{\"x\":1}"u8];
            case 13: return Encoding.UTF8.GetBytes("{\"model\":\"chat\",\"prompt\":\"" + new string('p', MaxBodyBytes + (Size % 4096)) + "\"}");
            case 14:
                {
                    var noise = new byte[Size % 2048];
                    random.NextBytes(noise);
                    return noise;
                }
            case 15: return Encoding.UTF8.GetBytes("{\"model\":\"chat\",\"prompt\":\"" + string.Concat(Enumerable.Repeat("\\u0000\\n\\\"\\\\\\/\\b\\f\\r\\t", 1 + (Size % 200))) + "\"}");
            case 16: return Encoding.UTF8.GetBytes("{\"model\":\"client-" + (Size % 100_000) + "\",\"prompt\":\"" + new string('q', Size % 5000) + "\"}");
            case 17: return Encoding.UTF8.GetBytes("{\"model\":\"chat\",\"messages\":[" + string.Concat(Enumerable.Repeat("{\"role\":\"user\",\"content\":\"" + new string('c', 64) + "\"},", Size % 500)) + "1,{\"role\":7}]}");
            default: return bytes;
        }
    }
}
