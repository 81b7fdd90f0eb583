Console.Error.WriteLine("not built yet");
return 2;
