<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AlarmBanner</name>
    <message>
        <source>1 point beyond its limits — alarm handling not yet active</source>
        <translation>1 个点位超出报警限值 — 报警处理尚未启用</translation>
    </message>
    <message>
        <source>{count} points beyond their limits — alarm handling not yet active</source>
        <translation>{count} 个点位超出报警限值 — 报警处理尚未启用</translation>
    </message>
    <message>
        <source>No active alarms</source>
        <translation>无活动报警</translation>
    </message>
    <message>
        <source>Active alarms: {count}</source>
        <translation>活动报警：{count}</translation>
    </message>
</context>
<context>
    <name>AlarmsPage</name>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>This page will hold the alarm console: active alarms with fire first, then by priority; acknowledge, silence, reset and shelve; and the alarm and operator-action journal. It comes with the alarm engine. The banner at the top of the window already has its place.</source>
        <translation>本页将是报警控制台：活动报警按火警优先、再按优先级排列；可确认、消音、复位和搁置；并有报警及操作记录日志。随报警引擎一同提供。窗口顶部的报警横幅已留好位置。</translation>
    </message>
</context>
<context>
    <name>BinaryLamp</name>
    <message>
        <source>clear</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>smoke</source>
        <translation>烟雾</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>operated</source>
        <translation>已动作</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>heat</source>
        <translation>高温</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关</translation>
    </message>
    <message>
        <source>on</source>
        <translation>开</translation>
    </message>
</context>
<context>
    <name>BuildingList</name>
    <message>
        <source>{count} abnormal</source>
        <translation>{count} 项异常</translation>
    </message>
</context>
<context>
    <name>CameraGrid</name>
    <message>
        <source>This site has no cameras.</source>
        <translation>本场所没有摄像机。</translation>
    </message>
</context>
<context>
    <name>CameraWallPage</name>
    <message>
        <source>No stream address for this camera.</source>
        <translation>该摄像机没有视频流地址。</translation>
    </message>
    <message>
        <source>The camera does not answer.</source>
        <translation>摄像机无响应。</translation>
    </message>
    <message>
        <source>Plain wall: the newest picture of every camera. Layouts and overlays come later.</source>
        <translation>简易视频墙：显示每台摄像机的最新画面。布局与叠加标注将在后续版本提供。</translation>
    </message>
</context>
<context>
    <name>CreateAdminDialog</name>
    <message>
        <source>Enter a user name for the administrator.</source>
        <translation>请输入管理员的用户名。</translation>
    </message>
    <message>
        <source>The password must have at least {count} characters.</source>
        <translation>密码至少需要 {count} 个字符。</translation>
    </message>
    <message>
        <source>The two passwords differ. Type the same password twice.</source>
        <translation>两次输入的密码不一致，请输入相同的密码。</translation>
    </message>
    <message>
        <source>Wardroom — create the administrator</source>
        <translation>Wardroom — 创建管理员</translation>
    </message>
    <message>
        <source>{site} has no administrator yet. Create one now: the administrator adds the other users (duty officers, supervisors, records clerks).</source>
        <translation>{site} 还没有管理员。请现在创建一个：由管理员添加其他用户（值班员、主管、档案员）。</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>用户名：</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>密码：</translation>
    </message>
    <message>
        <source>Repeat password:</source>
        <translation>再次输入密码：</translation>
    </message>
    <message>
        <source>Create administrator</source>
        <translation>创建管理员</translation>
    </message>
</context>
<context>
    <name>DrillPanel</name>
    <message>
        <source>Asking the simulator…</source>
        <translation>正在询问模拟器…</translation>
    </message>
    <message>
        <source>Tripped {point} on the simulator at {where}.</source>
        <translation>已在 {where} 的模拟器上触发 {point}。</translation>
    </message>
    <message>
        <source>Restored {point} on the simulator at {where}.</source>
        <translation>已在 {where} 的模拟器上恢复 {point}。</translation>
    </message>
    <message>
        <source>The drill did not run: {error}</source>
        <translation>演练未执行：{error}</translation>
    </message>
    <message>
        <source>tripped</source>
        <translation>已触发</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>turns on</source>
        <translation>变为接通</translation>
    </message>
    <message>
        <source>turns off</source>
        <translation>变为断开</translation>
    </message>
    <message>
        <source>falls to {value}</source>
        <translation>降至 {value}</translation>
    </message>
    <message>
        <source>rises to {value}</source>
        <translation>升至 {value}</translation>
    </message>
    <message>
        <source>Demo drills</source>
        <translation>演示演练</translation>
    </message>
    <message>
        <source>Drills</source>
        <translation>演练</translation>
    </message>
    <message>
        <source>This site has no simulated PLC, so there is nothing to drill.</source>
        <translation>本站点没有模拟 PLC，无可演练的点位。</translation>
    </message>
    <message>
        <source>Only a supervisor or an administrator may run drills; you are signed in as {role}.</source>
        <translation>只有主管或管理员可以进行演练；您当前的登录角色是 {role}。</translation>
    </message>
    <message>
        <source>In the demo anyone may run drills. A drill changes only the simulated PLC&apos;s values (a sprinkler opens, a detector sees smoke), never a real plant; watch it on the Sensors page.</source>
        <translation>演示中任何人都可以进行演练。演练只改变模拟 PLC 的数值（如喷淋头开启、探测器检测到烟雾），绝不影响真实设备；请在“传感器”页面观察。</translation>
    </message>
    <message>
        <source>A drill changes only the simulated PLC&apos;s values, never a real plant; watch it on the Sensors page. Drills are logged with your name.</source>
        <translation>演练只改变模拟 PLC 的数值，绝不影响真实设备；请在“传感器”页面观察。演练会连同您的姓名记入日志。</translation>
    </message>
    <message>
        <source>Point</source>
        <translation>点位</translation>
    </message>
    <message>
        <source>When tripped, it…</source>
        <translation>触发后…</translation>
    </message>
    <message>
        <source>Drill state</source>
        <translation>演练状态</translation>
    </message>
    <message>
        <source>Trip</source>
        <translation>触发</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
</context>
<context>
    <name>ErrorReporter</name>
    <message>
        <source>Wardroom — unexpected error</source>
        <translation>Wardroom — 意外错误</translation>
    </message>
    <message>
        <source>Something went wrong inside Wardroom. It has been written to the log; the details are below.</source>
        <translation>Wardroom 内部出现错误。错误已写入日志，详细信息见下方。</translation>
    </message>
</context>
<context>
    <name>GaugeBase</name>
    <message>
        <source>{quality} · never read</source>
        <translation>{quality} · 从未读取</translation>
    </message>
    <message>
        <source>{quality} · last {age} ago</source>
        <translation>{quality} · 上次于 {age} 前</translation>
    </message>
    <message>
        <source>bad address</source>
        <translation>地址错误</translation>
    </message>
    <message>
        <source>good</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>comm-fail</source>
        <translation>通信故障</translation>
    </message>
    <message>
        <source>stale</source>
        <translation>数据陈旧</translation>
    </message>
    <message>
        <source>out of range</source>
        <translation>超出量程</translation>
    </message>
    <message>
        <source>never read</source>
        <translation>从未读取</translation>
    </message>
    <message>
        <source>comm</source>
        <comment>short for comm-fail</comment>
        <translation>通信</translation>
    </message>
    <message>
        <source>high-high</source>
        <translation>高高</translation>
    </message>
    <message>
        <source>high</source>
        <translation>高</translation>
    </message>
    <message>
        <source>low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>low-low</source>
        <translation>低低</translation>
    </message>
    <message>
        <source>HH</source>
        <comment>limit mark: high-high</comment>
        <translation>HH</translation>
    </message>
    <message>
        <source>H</source>
        <comment>limit mark: high</comment>
        <translation>H</translation>
    </message>
    <message>
        <source>L</source>
        <comment>limit mark: low</comment>
        <translation>L</translation>
    </message>
    <message>
        <source>LL</source>
        <comment>limit mark: low-low</comment>
        <translation>LL</translation>
    </message>
    <message>
        <source>s</source>
        <comment>age unit: seconds</comment>
        <translation>秒</translation>
    </message>
    <message>
        <source>min</source>
        <comment>age unit: minutes</comment>
        <translation>分</translation>
    </message>
    <message>
        <source>h</source>
        <comment>age unit: hours</comment>
        <translation>小时</translation>
    </message>
    <message>
        <source>d</source>
        <comment>age unit: days</comment>
        <translation>天</translation>
    </message>
    <message>
        <source>{quality} · was {value}, {age} ago</source>
        <translation>{quality} · 原为{value}，{age}前</translation>
    </message>
    <message>
        <source>{quality} {age}</source>
        <translation>{quality} {age}</translation>
    </message>
    <message>
        <source>in alarm</source>
        <translation>报警中</translation>
    </message>
    <message>
        <source>{limit} alarm</source>
        <translation>{limit} 报警</translation>
    </message>
</context>
<context>
    <name>GaugeGrid</name>
    <message>
        <source>This building has no sensors.</source>
        <translation>该楼栋没有传感器。</translation>
    </message>
</context>
<context>
    <name>IncidentsPage</name>
    <message>
        <source>Incidents &amp; reports</source>
        <translation>事件与报告</translation>
    </message>
    <message>
        <source>This page will list incidents opened from alarms or camera detections, with notes, snapshots and the actions taken, and will print incident and shift reports.</source>
        <translation>本页将列出由报警或摄像机检测生成的事件，包括备注、快照和所采取的措施，并可打印事件报告和交接班报告。</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Enter your user name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <source>Wardroom — sign in</source>
        <translation>Wardroom — 登录</translation>
    </message>
    <message>
        <source>Sign in to the control room of {site}.</source>
        <translation>登录 {site} 的控制室。</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>用户名：</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>密码：</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>The station could not start: {error}</source>
        <translation>站点服务无法启动：{error}</translation>
    </message>
    <message>
        <source>Wardroom</source>
        <translation>Wardroom</translation>
    </message>
    <message>
        <source>Service failed: {what}</source>
        <translation>服务故障：{what}</translation>
    </message>
    <message>
        <source>Wardroom — {site}</source>
        <translation>Wardroom — {site}</translation>
    </message>
    <message>
        <source>DEMO</source>
        <translation>演示</translation>
    </message>
    <message>
        <source>Demonstration site: simulated PLC and cameras, its own database, automatic sign-in.</source>
        <translation>演示场所：模拟的 PLC 和摄像机，独立的数据库，自动登录。</translation>
    </message>
    <message>
        <source>PLCs:</source>
        <translation>PLC：</translation>
    </message>
    <message>
        <source>Cameras:</source>
        <translation>摄像机：</translation>
    </message>
    <message>
        <source>Camera wall</source>
        <translation>视频墙</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>档案</translation>
    </message>
    <message>
        <source>Incidents &amp; reports</source>
        <translation>事件与报告</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
</context>
<context>
    <name>MapPage</name>
    <message>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <source>This page will show the buildings and floor plans of the site with the cameras, sensors and active alarms in their places, so an alarm can be located at a glance.</source>
        <translation>本页将显示场所的建筑和楼层平面图，并在图上标出摄像机、传感器和活动报警的位置，使报警位置一目了然。</translation>
    </message>
</context>
<context>
    <name>PlcStateLabel</name>
    <message>
        <source>{plc}: polling, connected</source>
        <translation>{plc}：正在轮询，已连接</translation>
    </message>
    <message>
        <source>{plc}: comm-fail — {reason}</source>
        <translation>{plc}：通信故障 — {reason}</translation>
    </message>
    <message>
        <source>{plc}: not polled yet</source>
        <translation>{plc}：尚未轮询</translation>
    </message>
</context>
<context>
    <name>RecordsPage</name>
    <message>
        <source>Records</source>
        <translation>档案</translation>
    </message>
    <message>
        <source>This page will hold the ward&apos;s records: residents and households, volunteers and their service hours, elderly care, employment support, duty rosters, and registered vehicles and e-bikes. Every view and export of personal data will be audited.</source>
        <translation>本页将管理社区档案：居民与家庭、志愿者及其服务时长、养老服务、就业帮扶、值班排班，以及登记的机动车和电动自行车。对个人信息的每次查看和导出都会记入审计日志。</translation>
    </message>
</context>
<context>
    <name>Roles</name>
    <message>
        <source>duty officer</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <source>records clerk</source>
        <translation>档案员</translation>
    </message>
    <message>
        <source>administrator</source>
        <translation>管理员</translation>
    </message>
</context>
<context>
    <name>SensorsPage</name>
    <message>
        <source>No building</source>
        <translation>未归属建筑</translation>
    </message>
    <message>
        <source>Abnormal points in {count} of {total} buildings.</source>
        <translation>{total} 栋楼中 {count} 栋有异常点位。</translation>
    </message>
    <message>
        <source>All {total} buildings normal.</source>
        <translation>全部 {total} 栋楼正常。</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Click a gauge for its trend. A value is marked in alarm when it is at or beyond one of its alarm limits: a plain comparison for now, without the delays and deadbands of alarm handling.</source>
        <translation>点击仪表查看趋势。数值达到或超过任一报警限值时即标为报警：目前只是简单比较，不含报警处理的延时和死区。</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Interface language:</source>
        <translation>界面语言：</translation>
    </message>
    <message>
        <source>The change applies at once and is remembered on this computer.</source>
        <translation>更改立即生效，并保存在本机上。</translation>
    </message>
    <message>
        <source>This station</source>
        <translation>本工作站</translation>
    </message>
    <message>
        <source>Site file:</source>
        <translation>场所文件：</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>数据库：</translation>
    </message>
    <message>
        <source>Signed in as:</source>
        <translation>当前用户：</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>角色：</translation>
    </message>
</context>
<context>
    <name>Startup</name>
    <message>
        <source>Wardroom — previous crash</source>
        <translation>Wardroom — 上次崩溃</translation>
    </message>
    <message>
        <source>Wardroom stopped unexpectedly the last time it ran. The report below was saved in the log folder; please pass it on to your technician.</source>
        <translation>Wardroom 上次运行时意外停止。下方的报告已保存在日志文件夹中，请转交给技术人员。</translation>
    </message>
    <message>
        <source>Wardroom — site file</source>
        <translation>Wardroom — 场所文件</translation>
    </message>
    <message>
        <source>Wardroom — database</source>
        <translation>Wardroom — 数据库</translation>
    </message>
</context>
<context>
    <name>StatusLamp</name>
    <message>
        <source>not yet checked</source>
        <translation>尚未检测</translation>
    </message>
    <message>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>disconnected</source>
        <translation>已断开</translation>
    </message>
</context>
<context>
    <name>TrendPanel</name>
    <message>
        <source>Loading history…</source>
        <translation>正在读取历史数据…</translation>
    </message>
    <message>
        <source>History could not be read: {error}</source>
        <translation>无法读取历史数据：{error}</translation>
    </message>
    <message>
        <source>No database: live values only.</source>
        <translation>没有数据库：仅显示实时数值。</translation>
    </message>
    <message>
        <source>History: min–max band and average per {seconds} s.</source>
        <translation>历史：每 {seconds} 秒的最小–最大带和平均值。</translation>
    </message>
    <message>
        <source>History: stored samples ({count}).</source>
        <translation>历史：已存储的样本（{count} 个）。</translation>
    </message>
    <message>
        <source>Close trend</source>
        <translation>关闭趋势图</translation>
    </message>
</context>
<context>
    <name>TrendPlot</name>
    <message>
        <source>HH</source>
        <comment>limit mark: high-high</comment>
        <translation>HH</translation>
    </message>
    <message>
        <source>H</source>
        <comment>limit mark: high</comment>
        <translation>H</translation>
    </message>
    <message>
        <source>L</source>
        <comment>limit mark: low</comment>
        <translation>L</translation>
    </message>
    <message>
        <source>LL</source>
        <comment>limit mark: low-low</comment>
        <translation>LL</translation>
    </message>
    <message>
        <source>{count} d</source>
        <comment>trend window in days</comment>
        <translation>{count} 天</translation>
    </message>
    <message>
        <source>{count} h</source>
        <comment>trend window in hours</comment>
        <translation>{count} 小时</translation>
    </message>
    <message>
        <source>{count} min</source>
        <comment>trend window in minutes</comment>
        <translation>{count} 分钟</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <source>No signal</source>
        <translation>无信号</translation>
    </message>
    <message>
        <source>Waiting for video…</source>
        <translation>正在等待视频…</translation>
    </message>
</context>
<context>
    <name>_CredentialsDialog</name>
    <message>
        <source>The check could not be done: {error}</source>
        <translation>无法完成校验：{error}</translation>
    </message>
</context>
</TS>
