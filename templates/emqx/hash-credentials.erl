%% mqtt-fortress: hashes the passwords of a mounted Secret (one file per username) into EMQX's
%% built-in database bootstrap file (bootstrap_type = hash): pbkdf2-sha256, 4096 iterations,
%% 32 bytes, lower-case hex, a random salt per user. Evaluated by the EMQX image's own Erlang
%% runtime (erl -noshell -eval). Never prints a password.
Plain = os:getenv("FORTRESS_PLAIN"),
UsersFile = os:getenv("FORTRESS_USERS"),
Out = os:getenv("FORTRESS_OUT"),
Fail = fun(Fmt, Args) -> io:format(standard_error, "fortress-emqx-auth: " ++ Fmt ++ "~n", Args), halt(1) end,
{ok, UsersBin} = file:read_file(UsersFile),
Names = [N || N <- binary:split(UsersBin, [<<"\n">>], [global, trim_all]), N =/= <<>>],
Line = fun(N) ->
    case re:run(N, "^[A-Za-z0-9._-]+$") of
        nomatch -> Fail("invalid username in the user list", []);
        _ -> ok
    end,
    case file:read_file(filename:join(Plain, N)) of
        {ok, Raw} ->
            Pw = string:trim(Raw, trailing, "\r\n"),
            case binary:match(Pw, [<<"\n">>, <<"\r">>]) of nomatch -> ok; _ -> Fail("password of ~s contains a line break", [N]) end,
            case byte_size(Pw) >= 32 of true -> ok; false -> Fail("password of ~s is shorter than 32 characters (baseline AUTH-2)", [N]) end,
            Salt = string:lowercase(binary:encode_hex(crypto:strong_rand_bytes(16))),
            Hash = string:lowercase(binary:encode_hex(crypto:pbkdf2_hmac(sha256, Pw, Salt, 4096, 32))),
            [N, ",", Hash, ",", Salt, ",false\n"];
        _ ->
            Fail("no password for user ~s: the Secret has no key \"~s\"", [N, N])
    end
end,
Lines = [Line(N) || N <- Names],
Tmp = filename:join(Out, "bootstrap.csv.new"),
ok = file:write_file(Tmp, ["user_id,password_hash,salt,is_superuser\n" | Lines]),
ok = file:change_mode(Tmp, 8#400),
ok = file:rename(Tmp, filename:join(Out, "bootstrap.csv")),
io:format(standard_error, "fortress-emqx-auth: wrote ~b hashed users~n", [length(Lines)]),
halt(0).
