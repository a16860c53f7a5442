%% mqtt-fortress: hashes the passwords of a mounted Secret (one file per username) for EMQX's
%% built-in database: pbkdf2-sha256, 4096 iterations, 32 bytes, lower-case hex, a random salt
%% per user. Evaluated by the EMQX image's own Erlang runtime (erl -noshell -eval). Never prints
%% or writes a password; the plaintext exists only in the mounted Secret and in memory.
%%
%% FORTRESS_MODE=bootstrap (init container): writes FORTRESS_OUT/bootstrap.csv and exits. EMQX
%%   imports it when the authenticator starts, but only for users it does not have yet
%%   (emqx_authn_mnesia bootstrap uses override => false).
%% FORTRESS_MODE=sync (sidecar): every FORTRESS_INTERVAL_MS, if the Secret's content changed since
%%   the last successful import (rotation, new identity), posts the hashed users to the local
%%   node's REST API import_users?type=hash, which overrides existing users; then deletes every
%%   user of the built-in database that the user list no longer has (GET .../users pages, DELETE
%%   .../users/<id>) and disconnects the deleted and the rotated identities (DELETE
%%   /api/v5/clients/<id>: the client id is the username on every listener). A sync counts as
%%   done only when all of that succeeded; otherwise it is retried. Authenticates with the API
%%   key FORTRESS_API_KEY_NAME read from FORTRESS_API_KEYS (key:secret lines).
%% FORTRESS_PLAIN is the mounted Secret's directory, or, for a fleet larger than one Secret, its
%% shards' directories separated by spaces: a key found in two shards is refused.
Plain = string:lexemes(os:getenv("FORTRESS_PLAIN"), " "),
UsersFile = os:getenv("FORTRESS_USERS"),
Mode = os:getenv("FORTRESS_MODE", "bootstrap"),
Log = fun(Fmt, Args) -> io:format(standard_error, "fortress-emqx-auth: " ++ Fmt ++ "~n", Args) end,
%% Reads and checks every user's password: {ok, [{Name, Password}]} or {error, Message}.
Read = fun() ->
    try
        {ok, UsersBin} = file:read_file(UsersFile),
        Names = [N || N <- binary:split(UsersBin, [<<"\n">>], [global, trim_all]), N =/= <<>>],
        {ok, [begin
            case re:run(N, "^[A-Za-z0-9._-]+$") of
                nomatch -> throw("invalid username in the user list");
                _ -> ok
            end,
            case [R || D <- Plain, {ok, R} <- [file:read_file(filename:join(D, N))]] of
                [_, _ | _] ->
                    throw(io_lib:format("the key \"~s\" is in two credential Secrets (shards)", [N]));
                [Raw] ->
                    Pw = string:trim(Raw, trailing, "\r\n"),
                    case binary:match(Pw, [<<"\n">>, <<"\r">>]) of nomatch -> ok; _ -> throw(io_lib:format("password of ~s contains a line break", [N])) end,
                    case byte_size(Pw) >= 32 of true -> ok; false -> throw(io_lib:format("password of ~s is shorter than 32 characters (baseline AUTH-2)", [N])) end,
                    {N, Pw};
                _ ->
                    throw(io_lib:format("no password for user ~s: the Secret has no key \"~s\"", [N, N]))
            end
        end || N <- Names]}
    catch
        throw:Msg -> {error, lists:flatten(Msg)};
        error:{badmatch, {error, E}} -> {error, lists:flatten(io_lib:format("cannot read ~s: ~p", [UsersFile, E]))}
    end
end,
Csv = fun(Users) ->
    ["user_id,password_hash,salt,is_superuser\n" |
     [begin
         Salt = string:lowercase(binary:encode_hex(crypto:strong_rand_bytes(16))),
         Hash = string:lowercase(binary:encode_hex(crypto:pbkdf2_hmac(sha256, Pw, Salt, 4096, 32))),
         [N, ",", Hash, ",", Salt, ",false\n"]
      end || {N, Pw} <- Users]]
end,
case Mode of
    "bootstrap" ->
        Out = os:getenv("FORTRESS_OUT"),
        case Read() of
            {error, Msg} -> Log("~s", [Msg]), halt(1);
            {ok, Users} ->
                Tmp = filename:join(Out, "bootstrap.csv.new"),
                ok = file:write_file(Tmp, Csv(Users)),
                ok = file:change_mode(Tmp, 8#400),
                ok = file:rename(Tmp, filename:join(Out, "bootstrap.csv")),
                Log("wrote ~b hashed users", [length(Users)]),
                halt(0)
        end;
    "sync" ->
        [Host, PortS] = string:split(os:getenv("FORTRESS_API", "127.0.0.1:18083"), ":", trailing),
        Port = list_to_integer(PortS),
        Interval = list_to_integer(os:getenv("FORTRESS_INTERVAL_MS", "30000")),
        KeyName = list_to_binary(os:getenv("FORTRESS_API_KEY_NAME", "fortress-credential-sync")),
        Path = "/api/v5/authentication/password_based%3Abuilt_in_database/import_users?type=hash",
        ApiAuth = fun() ->
            case file:read_file(os:getenv("FORTRESS_API_KEYS")) of
                {ok, Bin} ->
                    Found = [S || L <- binary:split(Bin, <<"\n">>, [global, trim_all]),
                                  [K, S | _] <- [binary:split(L, <<":">>, [global])], K =:= KeyName],
                    case Found of
                        [Secret | _] -> {ok, base64:encode(<<KeyName/binary, ":", Secret/binary>>)};
                        [] -> {error, "no API key named " ++ binary_to_list(KeyName)}
                    end;
                {error, E} -> {error, io_lib:format("cannot read the API keys: ~p", [E])}
            end
        end,
        Recv = fun Recv(S, Acc) ->
            case gen_tcp:recv(S, 0, 15000) of
                {ok, D} -> Recv(S, <<Acc/binary, D/binary>>);
                {error, closed} -> {ok, Acc};
                {error, E} -> {error, E}
            end
        end,
        Base = "/api/v5/authentication/password_based%3Abuilt_in_database",
        %% One HTTP/1.0 request (no chunked replies): {status, Code, Body} or {error, Why}.
        Request = fun(Method, ReqPath, Auth, Headers, Body) ->
            Req = [Method, " ", ReqPath, " HTTP/1.0\r\nHost: ", Host, ":", PortS, "\r\nAuthorization: Basic ", Auth,
                   "\r\n", Headers, "Content-Length: ", integer_to_list(iolist_size(Body)), "\r\n\r\n", Body],
            case gen_tcp:connect(Host, Port, [binary, {active, false}], 5000) of
                {ok, S} ->
                    R = case gen_tcp:send(S, Req) of ok -> Recv(S, <<>>); E -> E end,
                    gen_tcp:close(S),
                    case R of
                        {ok, <<"HTTP/1.", _, " ", Code:3/binary, _/binary>> = Resp} ->
                            RespBody = case binary:split(Resp, <<"\r\n\r\n">>) of [_, B] -> B; _ -> <<>> end,
                            {status, binary_to_integer(Code), RespBody};
                        {ok, _} -> {error, bad_response};
                        Err -> Err
                    end;
                Err -> Err
            end
        end,
        Import = fun(Auth, Body) ->
            B = "fortress" ++ integer_to_list(erlang:unique_integer([positive])),
            Multipart = iolist_to_binary(["--", B, "\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"fortress-users.csv\"\r\nContent-Type: text/csv\r\n\r\n", Body, "\r\n--", B, "--\r\n"]),
            Request("POST", Path, Auth, ["Content-Type: multipart/form-data; boundary=", B, "\r\n"], Multipart)
        end,
        %% Every user id in the built-in database, page by page: {ok, [Id]} or {error, Why}.
        ListUsers = fun ListUsers(Auth, Page, Acc) ->
            case Request("GET", Base ++ "/users?page=" ++ integer_to_list(Page) ++ "&limit=500", Auth, [], <<>>) of
                {status, 200, Body} ->
                    Ids = case re:run(Body, "\"user_id\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"", [global, {capture, [1], binary}]) of
                        {match, M} -> [I || [I] <- M];
                        nomatch -> []
                    end,
                    case re:run(Body, "\"hasnext\"\\s*:\\s*true") of
                        {match, _} when Page < 1000 -> ListUsers(Auth, Page + 1, Acc ++ Ids);
                        _ -> {ok, Acc ++ Ids}
                    end;
                {status, C, _} -> {error, io_lib:format("listing users: HTTP ~b", [C])};
                Err -> {error, io_lib:format("listing users: ~p", [Err])}
            end
        end,
        Ok = fun({status, C, _}) -> C >= 200 andalso C < 300 orelse C =:= 404; (_) -> false end,
        %% Deletes the users the policy no longer has and disconnects them and the rotated ones
        %% (the client id is the username on every listener): {ok, Deleted} or {error, Why}.
        Revoke = fun(Auth, Keep, Rotated) ->
            case ListUsers(Auth, 1, []) of
                {error, Why} -> {error, Why};
                {ok, Ids} ->
                    Gone = [I || I <- Ids, not lists:member(I, Keep)],
                    case [I || I <- Gone, binary:match(I, <<"\\">>) =/= nomatch] of
                        [] -> ok;
                        Odd -> Log("~b user id(s) with escapes in the database are not the kit's; delete them by hand", [length(Odd)])
                    end,
                    ToDelete = [I || I <- Gone, binary:match(I, <<"\\">>) =:= nomatch],
                    Del = [Ok(Request("DELETE", Base ++ "/users/" ++ binary_to_list(uri_string:quote(I)), Auth, [], <<>>)) || I <- ToDelete],
                    Kick = [Ok(Request("DELETE", "/api/v5/clients/" ++ binary_to_list(uri_string:quote(I)), Auth, [], <<>>)) || I <- ToDelete ++ Rotated],
                    case lists:all(fun(X) -> X end, Del ++ Kick) of
                        true -> {ok, ToDelete};
                        false -> {error, "a delete or disconnect was refused"}
                    end
            end
        end,
        Loop = fun Loop(Synced, Known) ->
            {Next, NextKnown} = case Read() of
                {error, Msg} -> Log("not syncing: ~s", [Msg]), {Synced, Known};
                {ok, Users} ->
                    Fingerprint = crypto:hash(sha256, [[N, 0, Pw, 0] || {N, Pw} <- Users]),
                    PerUser = maps:from_list([{N, crypto:hash(sha256, Pw)} || {N, Pw} <- Users]),
                    case Fingerprint =:= Synced of
                        true -> {Synced, Known};
                        false ->
                            Rotated = [N || {N, H} <- maps:to_list(PerUser), maps:is_key(N, Known), maps:get(N, Known) =/= H],
                            case ApiAuth() of
                                {error, Msg} -> Log("not syncing: ~s", [Msg]), {Synced, Known};
                                {ok, Auth} ->
                                    case Import(Auth, Csv(Users)) of
                                        {status, C, _} when C >= 200, C < 300 ->
                                            Log("imported ~b hashed users", [length(Users)]),
                                            case Revoke(Auth, [N || {N, _} <- Users], Rotated) of
                                                {ok, Deleted} ->
                                                    Log("deleted ~b user(s) the policy no longer has; disconnected ~b removed or rotated", [length(Deleted), length(Deleted) + length(Rotated)]),
                                                    {Fingerprint, PerUser};
                                                {error, Why} -> Log("revocation incomplete (~s); retrying", [Why]), {Synced, Known}
                                            end;
                                        {status, C, _} -> Log("import refused with HTTP ~b; retrying", [C]), {Synced, Known};
                                        Err -> Log("node API not reachable (~p); retrying", [Err]), {Synced, Known}
                                    end
                            end
                    end
            end,
            timer:sleep(Interval),
            Loop(Next, NextKnown)
        end,
        Loop(none, #{});
    Other ->
        Log("unknown FORTRESS_MODE ~s", [Other]), halt(2)
end.
